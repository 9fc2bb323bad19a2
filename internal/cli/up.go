package cli

// STUB — replaced by the tunnel work (issue 3): relais up, relais status.

import "context"

func cmdUp(_ context.Context, r *run, _ []string) int {
	return r.fail(ExitUsage, "cli.error.unknown_command", "up")
}

func cmdStatus(_ context.Context, r *run, _ []string) int {
	return r.fail(ExitUsage, "cli.error.unknown_command", "status")
}
