//go:build nogui

// The build without the window (`-tags nogui`): the command line and the
// helper only, no Fyne, no cgo graphics, no libGL or X11. The packages run
// the helper from this build.

package main

import (
	"fmt"
	"os"

	"relais/internal/cli"
	"relais/internal/i18n"
)

// hasWindow: relais without a command only says that there is no window
// (runWindow), and the help asks for a command.
const hasWindow = false

func prepare() {}

// runWindow says, in the person's language, that this build has no window
// and what to run instead; it returns the usage exit code, as the GUI build
// does where no window can open.
func runWindow(demo bool) int {
	l := i18n.Choose("", i18n.Detect(os.Getenv), "")
	key := "cli.nogui.no_window"
	if demo {
		key = "cli.nogui.no_window_demo"
	}
	fmt.Fprintln(os.Stderr, i18n.T(l, key))
	return cli.ExitUsage
}
