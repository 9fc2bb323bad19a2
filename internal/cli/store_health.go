package cli

import (
	"os"

	"relais/internal/store"
)

// diskProbeSize is what diskFull tries to write: more than a few pages of
// the store's write-ahead log, the least a record needs.
const diskProbeSize = 32 << 10

// diskFull reports whether the disk of dir is full: a write of a few
// pages there fails for lack of space. It leaves nothing behind.
func diskFull(dir string) bool {
	f, err := os.CreateTemp(dir, ".relais-space-*")
	if err != nil {
		return store.IsDiskFull(err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, diskProbeSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return store.IsDiskFull(err)
}

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
