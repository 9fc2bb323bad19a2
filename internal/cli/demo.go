package cli

// STUB — replaced by the demo office work (issue 3): relais demo [--headless].

import "context"

func cmdDemo(_ context.Context, r *run, _ []string) int {
	return r.fail(ExitUsage, "cli.error.unknown_command", "demo")
}
