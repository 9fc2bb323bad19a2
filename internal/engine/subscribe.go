package engine

import (
	"sync"
)

// subscriber delivers events on its own goroutine: publishing never waits
// for it, and while it is busy, newer events replace the pending one (each
// carries the whole snapshot, so nothing of the state is lost).
type subscriber struct {
	fn      func(Event)
	mu      sync.Mutex
	pending *Event
	wake    chan struct{}
	stop    chan struct{}
}

// Subscribe calls fn with each event, in order, never concurrently; a slow
// fn gets coalesced updates. cancel stops the deliveries (one under way
// finishes); it may be called from fn.
func (e *Engine) Subscribe(fn func(Event)) (cancel func()) {
	s := &subscriber{fn: fn, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	e.mu.Lock()
	if e.subs == nil {
		e.subs = map[int]*subscriber{}
	}
	id := e.nextSub
	e.nextSub++
	e.subs[id] = s
	e.mu.Unlock()
	go s.deliver()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.subs, id)
			e.mu.Unlock()
			close(s.stop)
		})
	}
}

func (s *subscriber) deliver() {
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		ev := s.pending
		s.pending = nil
		s.mu.Unlock()
		if ev == nil {
			continue
		}
		select {
		case <-s.stop:
			return
		default:
		}
		s.fn(*ev)
	}
}

func (e *Engine) publish(ev Event) {
	e.mu.Lock()
	subs := make([]*subscriber, 0, len(e.subs))
	for _, s := range e.subs {
		subs = append(subs, s)
	}
	e.mu.Unlock()
	for _, s := range subs {
		s.mu.Lock()
		s.pending = &ev
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
