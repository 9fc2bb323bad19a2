// Command relais is the Relais desktop app (no argument, or `relais demo`
// on the embedded demo office) and its command line (a subcommand). See
// README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"relais/app"
	"relais/internal/cli"
	"relais/internal/desk"
)

func main() {
	app.Prepare()
	if len(os.Args) < 2 || len(os.Args) == 2 && os.Args[1] == "demo" {
		demo := len(os.Args) == 2
		os.Exit(app.Run(func(lang string) (desk.Backend, error) {
			return cli.OpenDesk(context.Background(), cli.OSEnv(), cli.DeskOptions{Lang: lang, Demo: demo})
		}))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
