package cli

// relais helper (the privileged half of system mode) and the client side
// that relais up uses to reach it.

import (
	"context"
	"errors"
	"flag"
	"log"

	"relais/internal/helper"
)

func cmdHelper(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais helper", flag.ContinueOnError)
	socket := fs.String("socket", helper.SocketPath(r.Getenv), "cli.helper.flag.socket")
	group := fs.String("group", helper.DefaultGroup, "cli.helper.flag.group")
	iface := fs.String("interface", helper.DefaultInterface, "cli.helper.flag.interface")
	stateDir := fs.String("state-dir", helper.DefaultStateDir(r.Getenv), "cli.helper.flag.state_dir")
	if !r.parseNoArgs(fs, args, "cli.helper.usage") {
		return ExitUsage
	}
	logger := log.New(r.Stderr, "relais helper: ", log.LstdFlags)
	err := helper.Run(ctx, helper.Options{
		Socket:     *socket,
		Group:      *group,
		Interface:  *iface,
		StateDir:   *stateDir,
		ConfigPath: r.backendEnv().ManagedPath(),
		Logf:       logger.Printf,
		Ready:      func(s string) { r.say("cli.helper.listening", s, *iface) },
	})
	switch {
	case errors.Is(err, helper.ErrNotRoot):
		return r.fail(ExitUsage, "cli.helper.not_root")
	case errors.Is(err, helper.ErrUnsupported):
		return r.fail(ExitUsage, "cli.helper.unsupported")
	case err != nil:
		return r.fail(ExitUsage, "cli.helper.failed", err.Error())
	}
	r.say("cli.helper.stopped")
	return ExitOK
}
