// The engine's state, a plain value, and the one way it changes: commit
// records it in the store, then publishes it.

package engine

import (
	"context"
	"encoding/json"

	"relais/internal/status"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// TimelineEntry is one timestamped step of Mode urgence (a value of
// package status).
type TimelineEntry = status.TimelineEntry

// Snapshot is the engine's state at one moment, a plain value of package
// status.
type Snapshot = status.Snapshot

// Event is published on every change (a value of package status); it
// carries the whole snapshot, so a subscriber that missed coalesced events
// still sees the latest state.
type Event = status.Event

// Snapshot returns the current state, with a fresh tunnel status.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	t := e.tun
	e.mu.Unlock()
	var st tunnel.Status
	if t != nil {
		st = t.Status() // outside the lock: it may ask the helper
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if t != nil && t == e.tun {
		e.snap.Tunnel = st
	}
	return clone(e.snap)
}

// clone is s with its own timeline and time to operational, to publish.
func clone(s Snapshot) Snapshot {
	s.Timeline = append([]TimelineEntry(nil), s.Timeline...)
	if s.TimeToOperational != nil {
		d := *s.TimeToOperational
		s.TimeToOperational = &d
	}
	return s
}

// commit applies change to the snapshot, adds a timeline entry, records the
// state in the store and only then publishes the event.
func (e *Engine) commit(ctx context.Context, kind, detail string, change func(*Snapshot)) {
	e.commitCoded(ctx, kind, "", detail, change)
}

// commitCoded is commit for an entry that records a failure: code says
// why (TimelineEntry.Code), detail is the error for the log.
func (e *Engine) commitCoded(ctx context.Context, kind, code, detail string, change func(*Snapshot)) {
	now := e.now()
	e.mu.Lock()
	t := e.tun
	e.mu.Unlock()
	var st tunnel.Status
	if t != nil {
		st = t.Status()
	}
	e.mu.Lock()
	oldPhase := e.snap.Phase
	if t != nil && t == e.tun {
		e.snap.Tunnel = st
	}
	if change != nil {
		change(&e.snap)
	}
	e.snap.Verdict = Judge(e.snap)
	entry := TimelineEntry{At: now, Kind: kind, Code: code, Detail: detail}
	if kind == EventOperational && e.snap.TimeToOperational != nil {
		ms := e.snap.TimeToOperational.Milliseconds()
		entry.Detail, entry.DurationMS = "", &ms
	}
	e.snap.Timeline = append(e.snap.Timeline, entry)
	if e.snap.Phase != oldPhase {
		e.snap.Timeline = append(e.snap.Timeline, TimelineEntry{At: now, Kind: EventPhase, Detail: string(e.snap.Phase)})
	}
	if n := len(e.snap.Timeline); n > maxTimeline {
		e.snap.Timeline = append([]TimelineEntry(nil), e.snap.Timeline[n-maxTimeline:]...)
	}
	snap := clone(e.snap)
	e.mu.Unlock()

	e.record(ctx, snap)
	e.publish(Event{Kind: kind, At: now, Code: code, Detail: detail, Snapshot: snap})
	if code != "" {
		e.logf("engine: %s %s: %s (phase %s)", kind, code, detail, snap.Phase)
	} else {
		e.logf("engine: %s %s (phase %s)", kind, detail, snap.Phase)
	}
}

func (e *Engine) record(ctx context.Context, snap Snapshot) {
	if e.Store == nil {
		return
	}
	b, err := json.Marshal(snap)
	if err != nil {
		e.logf("engine: state: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := e.Store.RecordLive(ctx, store.LiveRecord{PID: snap.PID, SnapshotJSON: string(b), UpdatedAt: e.now()}); err != nil {
		e.logf("engine: %v", err)
	}
}
