package cli

import "relais/internal/engine"

// statusVerdict is the verdict `relais status --json` reports: the one
// Mode urgence's engine recorded, worded as every screen words it; off
// when it never recorded a state; unknown when its process went away
// without recording its end, or when the disk is full and what it
// recorded last may be out of date.
func statusVerdict(doc statusJSON) verdictJSON {
	switch e := doc.Engine; {
	case e == nil && doc.DiskFull:
		return newVerdictJSON(engine.Verdict{})
	case e == nil:
		return newVerdictJSON(engine.Judge(engine.Snapshot{}))
	case e.Stale:
		return newVerdictJSON(engine.Verdict{})
	default:
		return newVerdictJSON(e.verdict)
	}
}

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
