package cli

// STUB — replaced by the system-mode work (issue 3): relais helper.

import "context"

func cmdHelper(_ context.Context, r *run, _ []string) int {
	return r.fail(ExitUsage, "cli.error.unknown_command", "helper")
}
