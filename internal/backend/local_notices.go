package backend

import (
	"maps"
	"slices"
	"time"

	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/status"
)

// noticesLoop is the backend's notices sync: at open, when Mode urgence
// starts, and every Seams.NoticesInterval while it runs; bound to the
// backend's context.
type noticesLoop struct {
	kick chan struct{}         // a sync now
	done chan struct{}         // closed when the loop has ended
	meta frontend.NoticesState // guarded by Local.mu: when fetched, why kept (Machine.noticesMeta)
}

// startNotices shows the stored notices at once and starts the loop.
func (d *Local) startNotices() {
	d.notices = noticesLoop{kick: make(chan struct{}, 1), done: make(chan struct{})}
	if p := d.Profile().Profile; p != nil {
		d.em.LoadNotices(d.ctx, p)
	}
	d.notices.meta = d.em.noticesMeta(d.ctx)
	interval := d.env.Seams.NoticesInterval
	if interval <= 0 {
		interval = DefaultNoticesInterval
	}
	go func() {
		defer close(d.notices.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-d.ctx.Done():
				return
			case <-d.notices.kick:
			case <-t.C:
				if !d.Active() {
					continue
				}
			}
			d.syncNotices()
		}
	}()
	d.kickNotices()
}

// kickNotices asks the loop for a sync now (at most one waits).
func (d *Local) kickNotices() {
	select {
	case d.notices.kick <- struct{}{}:
	default:
	}
}

// syncNotices fetches the notices of the profile in use; a new document
// re-judges the apps at once (a maintenance window may now hold) and the
// front ends hear of it. The demo office's notices are fetched only while
// it runs.
func (d *Local) syncNotices() {
	p := d.Profile().Profile
	d.mu.Lock()
	demoDown := d.demo && d.dm == nil
	d.mu.Unlock()
	if p == nil || p.Notices == nil || demoDown {
		return
	}
	changed, err := d.em.SyncNotices(d.ctx, p)
	if d.ctx.Err() != nil {
		return
	}
	meta := d.em.noticesMeta(d.ctx)
	d.mu.Lock()
	d.notices.meta = meta
	d.mu.Unlock()
	if changed {
		d.Recheck()
	}
	if changed || err != nil {
		d.publish(status.EventNotices)
	}
}

// publish hands the front ends an event of the backend's own (no engine
// change): they refresh what they show.
func (d *Local) publish(kind string) {
	d.mu.Lock()
	ev := engine.Event{Kind: kind, At: d.env.Now(), Snapshot: d.last}
	subs := make([]func(engine.Event), 0, len(d.subs))
	for _, id := range slices.Sorted(maps.Keys(d.subs)) {
		subs = append(subs, d.subs[id])
	}
	d.mu.Unlock()
	for _, fn := range subs {
		fn(ev)
	}
}

// Notices are the organisation's notices now, from memory: the last good
// document, judged at the present time.
func (d *Local) Notices() frontend.NoticesState {
	p := d.Profile().Profile
	d.mu.Lock()
	meta := d.notices.meta
	d.mu.Unlock()
	return d.em.noticesAt(p, d.env.Now(), meta)
}
