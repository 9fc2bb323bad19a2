package tunnel

import (
	"math"
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the Go soft memory limit a front end sets for a
// process that holds a userspace tunnel.
//
// wireguard-go gives every packet in flight a 64 KiB buffer from pools that
// are unbounded on desktop platforms (device.PreallocatedBuffersPerPool is a
// constant 0 there, not a variable we could lower), so a long transfer makes
// the heap swing by tens of MiB between collections. Measured on a 256 MiB
// transfer through the SOCKS5 proxy (BenchmarkPeakRSS256MiB, 2 shared
// cores): peak RSS 100-190 MiB without a limit (it varies with GC timing),
// about 45 MiB with 64 MiB for 10-30 % less throughput (78-97 MiB/s against
// 108-114); 32 MiB gives 22 MiB but halves the throughput. The limit is
// soft: a live heap above it only makes the collector run more often.
const DefaultMemoryLimit = 64 << 20

// LimitMemory sets the process's soft memory limit to limit, unless the
// user set GOMEMLIMIT or a limit is already in place. It is for front ends
// (`relais up`, `relais demo`): a package must not change a process-wide
// setting behind its caller's back.
func LimitMemory(limit int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return
	}
	debug.SetMemoryLimit(limit)
}
