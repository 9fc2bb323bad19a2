// Command relais is the Relais desktop app (no argument) and its command
// line (a subcommand). See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"relais/app"
	"relais/internal/cli"
)

func main() {
	app.Prepare()
	if len(os.Args) < 2 {
		os.Exit(app.Run())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
