package app

import (
	"sync"
	"time"

	"relais/internal/status"
)

// minRefresh is the shortest gap between two refreshes of the screens:
// engine events can come in bursts (one per check), people need calm.
const minRefresh = 250 * time.Millisecond

// bridge hands engine events to the UI goroutine, batched: it keeps only
// the latest snapshot and flushes it at most every gap, with one fyne.Do.
// The engine never calls Fyne; this is the one place where its events
// cross over.
type bridge struct {
	gap   time.Duration
	now   func() time.Time
	after func(time.Duration, func()) // time.AfterFunc in the app
	do    func(func())                // fyne.Do in the app
	apply func(status.Snapshot)       // runs on the UI goroutine

	mu      sync.Mutex // guards the fields below
	latest  status.Snapshot
	pending bool      // a flush is scheduled
	last    time.Time // when the last flush ran
	stopped bool      // the UI is gone: nothing more is handed over
}

// stop ends the handing over: once the window loop has ended, fyne.Do
// would run on the caller's goroutine.
func (b *bridge) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
}

func newBridge(apply func(status.Snapshot)) *bridge {
	return &bridge{gap: minRefresh, now: time.Now, do: runDo, apply: apply,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// event is the engine subscriber: it must not block.
func (b *bridge) event(ev status.Event) {
	b.mu.Lock()
	b.latest = ev.Snapshot
	if b.pending || b.stopped {
		b.mu.Unlock()
		return
	}
	b.pending = true
	wait := b.gap - b.now().Sub(b.last)
	b.mu.Unlock()
	if wait <= 0 {
		b.flush()
		return
	}
	b.after(wait, b.flush)
}

func (b *bridge) flush() {
	b.mu.Lock()
	s := b.latest
	b.pending = false
	b.last = b.now()
	stopped := b.stopped
	b.mu.Unlock()
	if !stopped {
		b.do(func() { b.apply(s) })
	}
}
