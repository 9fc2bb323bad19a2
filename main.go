// Command relais is the Relais desktop app (no argument, or `relais demo`
// on the embedded demo office) and its command line (a subcommand). See
// README.md.
//
// Two builds: the default one (or `-tags gui`) has the window (gui.go,
// Fyne: cgo, OpenGL, X11); `-tags nogui` has only the command line and the
// helper (nogui.go) and links no graphics library — the packages run the
// helper from it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"relais/internal/cli"
)

func main() {
	prepare()
	if len(os.Args) < 2 || len(os.Args) == 2 && os.Args[1] == "demo" {
		os.Exit(runWindow(len(os.Args) == 2))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := cli.OSEnv()
	env.NoWindow = !hasWindow // the help then says relais needs a command
	code := cli.Main(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}
