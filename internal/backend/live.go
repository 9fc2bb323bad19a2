package backend

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"syscall"
	"time"

	"relais/internal/engine"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The live record of Mode urgence, and the one rule that says whether it
// is live. A process running Mode urgence (the app, `relais up`) writes
// its engine's snapshot -- the tunnel's status inside -- to the store
// (store.RecordLive) on every change and at least every LiveRecordEvery,
// and removes it when Mode urgence stops (store.ClearLive). Every other
// process reads it here: `relais status` and the app's bundle (LastLive,
// stale records included), `relais open` (ReadLive), `relais check` and
// a second `relais up` (ReadOtherLive: a tunnel another process keeps
// up, never their own record).
//
// A record is live when its writer is still running AND it wrote the
// record at most LiveStaleAfter ago. Each half covers what the other
// cannot:
//   - the process check finds a writer killed (or crashed) at once, where
//     the age alone would trust its record for up to LiveStaleAfter, and
//     lead `relais open` to a SOCKS5 proxy that is gone;
//   - the age finds a writer that still runs but no longer records (hung,
//     or stopped), a process id reused by another
//     program after the writer died without removing its record, and any
//     writer on Windows, where the process check cannot tell (it says
//     every process is running).
//
// LiveStaleAfter is four recording periods, so that a writer slowed down
// by a busy machine or a store locked for a while by another process (the
// store waits up to 5 s) is not judged gone.
const (
	// LiveRecordEvery is how often, at least, a writer records its
	// snapshot, changed or not.
	LiveRecordEvery = 5 * time.Second
	// LiveStaleAfter is the age past which a record is stale.
	LiveStaleAfter = 4 * LiveRecordEvery
)

// Staleness says why a live record is no longer live; "" when it is.
// Its values are those of `relais status --json`'s stale_reason.
type Staleness string

// Why a record is stale.
const (
	LiveFresh       Staleness = ""
	LiveProcessGone Staleness = "process_gone" // its writer is not running
	LiveOldRecord   Staleness = "old_record"   // its writer stopped recording it
)

// Live is one process's live record.
type Live struct {
	PID       int       // the process that wrote it
	UpdatedAt time.Time // when it wrote it last
	// Snapshot is the writer's engine snapshot; Snapshot.Tunnel is the
	// tunnel's status (Tunnel).
	Snapshot engine.Snapshot
	Stale    Staleness // LiveFresh for a live record
}

// Tunnel is the tunnel's status as the writer recorded it.
func (l Live) Tunnel() tunnel.Status { return l.Snapshot.Tunnel }

// Own says whether this process wrote the record.
func (l Live) Own() bool { return l.PID == os.Getpid() }

// ReadLive returns the record of a live writer, the most recent if there
// are several, and true; false when there is none (nothing recorded, only
// stale records, or the store cannot be read). now is the clock the age
// is measured with; nil is time.Now.
func ReadLive(ctx context.Context, db *store.DB, now func() time.Time) (Live, bool) {
	l, err := lastLive(ctx, db, now, 0)
	if err != nil || l.Stale != LiveFresh {
		return Live{}, false
	}
	return l, true
}

// ReadOtherLive is ReadLive passing over this process's own record: the
// tunnel another process keeps up, that `relais check` reuses while its
// own engine records its own snapshot.
func ReadOtherLive(ctx context.Context, db *store.DB, now func() time.Time) (Live, bool) {
	l, err := lastLive(ctx, db, now, os.Getpid())
	if err != nil || l.Stale != LiveFresh {
		return Live{}, false
	}
	return l, true
}

// LastLive returns the record of a live writer, the most recent if there
// are several; else the most recent stale record, Stale saying why it is
// stale (`relais status` shows it so, a bundle as the last known state).
// Nothing recorded is store.ErrNotFound; a record that is not a snapshot
// is passed over. now is as for ReadLive.
func LastLive(ctx context.Context, db *store.DB, now func() time.Time) (Live, error) {
	return lastLive(ctx, db, now, 0)
}

// lastLive is LastLive passing over skip's record (0: none).
func lastLive(ctx context.Context, db *store.DB, now func() time.Time, skip int) (Live, error) {
	if now == nil {
		now = time.Now
	}
	recs, err := db.Live(ctx)
	if err != nil {
		return Live{}, err
	}
	var last *Live
	for _, r := range recs {
		if skip != 0 && r.PID == skip {
			continue
		}
		l := Live{PID: r.PID, UpdatedAt: r.UpdatedAt}
		if json.Unmarshal([]byte(r.SnapshotJSON), &l.Snapshot) != nil {
			continue
		}
		l.Stale = staleness(r, now())
		if l.Stale == LiveFresh {
			return l, nil
		}
		if last == nil {
			last = &l
		}
	}
	if last == nil {
		return Live{}, store.ErrNotFound
	}
	return *last, nil
}

// staleness is the one rule (see LiveStaleAfter).
func staleness(r store.LiveRecord, now time.Time) Staleness {
	switch {
	case !processRunning(r.PID):
		return LiveProcessGone
	case now.Sub(r.UpdatedAt) > LiveStaleAfter:
		return LiveOldRecord
	}
	return LiveFresh
}

// processRunning says whether process pid runs. On Windows it cannot
// tell without a handle the writer may refuse, and says true: the age
// decides there.
func processRunning(pid int) bool {
	if pid <= 0 {
		return false
	}
	if runtime.GOOS == "windows" {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	// EPERM: it runs, as another user (the helper, root).
	return err == nil || errors.Is(err, syscall.EPERM)
}
