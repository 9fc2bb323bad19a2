package backend

import (
	"os"

	"relais/internal/store"
)

// diskProbeSize is what DiskFull tries to write: more than a few pages of
// the store's write-ahead log, the least a record needs.
const diskProbeSize = 32 << 10

// DiskFull reports whether the disk of dir is full: a write of a few
// pages there fails for lack of space. It leaves nothing behind.
func DiskFull(dir string) bool {
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
