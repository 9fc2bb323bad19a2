package cli

// statusWithoutConfig are the lines of `relais status` that send the
// person to a command needing a managed configuration (relais profile
// sync, relais check), and what they say on a computer without one.
var statusWithoutConfig = map[string]string{
	"cli.tunnel.status.no_profile": "cli.tunnel.status.no_profile_demo", // try the demo office
	"cli.check.history_none":       "cli.check.history_none_unmanaged",
}

// statusKey is the message key `relais status` says for key: without a
// managed configuration, a line never sends the person to a command that
// would only answer that there is none.
func (r *run) statusKey(key string) string {
	if alt, ok := statusWithoutConfig[key]; ok && !r.hasManagedConfig() {
		return alt
	}
	return key
}
