package cli

import (
	"relais/internal/store"
)

// recordFailed tells the person running Mode urgence that its state could
// not be recorded (`relais status` cannot show it); the tunnel is not
// affected.
func (r *run) recordFailed(err error) {
	if store.IsDiskFull(err) {
		r.say("store.disk_full.record")
		return
	}
	r.say("cli.store.write", r.describe(err))
}
