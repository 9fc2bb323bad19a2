package cli

// STUB — replaced by the identity work (issue 3): relais key generate|import|show|export-conf.

import "context"

func cmdKey(_ context.Context, r *run, _ []string) int {
	return r.fail(ExitUsage, "cli.error.unknown_command", "key")
}
