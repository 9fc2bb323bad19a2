// Package outbox delivers what must reach a server exactly once as far as
// the server can tell — drill reports now, diagnostics bundles later —
// across crashes, restarts and days offline. Each item is in the store
// before Enqueue returns; delivery is an HTTP POST with an
// Idempotency-Key header (the item's key), a deadline per request, and
// retries with exponential backoff whose schedule is itself in the store.
// An item is marked delivered only after a 2xx answer.
//
// It never imports fyne.io or the CLI and never logs a body (it may carry
// personal answers) or a URL's credentials.
package outbox

import (
	"context"
	"net/http"
	"time"

	"relais/internal/store"
)

// Item states.
const (
	StatePending   = "pending"   // waiting for its next attempt
	StateDelivered = "delivered" // a 2xx answer was received
	StateRejected  = "rejected"  // the server refused it for good (4xx other than 408/429); not retried
)

// Item is one thing to deliver.
type Item struct {
	Key         string    `json:"key"`  // idempotency key, unique
	Kind        string    `json:"kind"` // drill_report, …
	URL         string    `json:"url"`
	State       string    `json:"state"`
	Created     time.Time `json:"created"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"` // when pending
	Delivered   time.Time `json:"delivered"`    // when delivered
	LastStatus  int       `json:"last_status"`  // the last HTTP status, 0 when none
	LastError   string    `json:"last_error"`   // why the last attempt failed, "" when none
}

// Outbox delivers the items of one store.
type Outbox struct {
	DB     *store.DB
	Client *http.Client // nil: a client with no proxy from the environment
	// Timeout bounds each request; 0: DefaultTimeout.
	Timeout time.Duration
	// Backoff is the wait after the n-th failed attempt (n >= 1); nil:
	// DefaultBackoff.
	Backoff func(n int) time.Duration
	Now     func() time.Time
	Logf    func(format string, args ...any)
}

// Defaults.
const (
	DefaultTimeout = 15 * time.Second
	MaxBody        = 10 << 20 // bytes: a larger item is refused at Enqueue
)

// DefaultBackoff waits 5 s after the first failure, doubling up to an hour,
// with ±20 % jitter.
func DefaultBackoff(n int) time.Duration {
	panic("outbox: DefaultBackoff not implemented yet")
}

// Enqueue records an item (due at once). Enqueueing a key already there
// changes nothing and is not an error.
func (o *Outbox) Enqueue(ctx context.Context, kind, key, url, contentType string, body []byte) error {
	panic("outbox: Enqueue not implemented yet")
}

// DeliverDue makes one attempt at every pending item due now and returns
// how many were delivered.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	panic("outbox: DeliverDue not implemented yet")
}

// Run delivers until ctx ends: each item when it is due, and every pending
// item at once when wake fires (the network came back, a new item).
func (o *Outbox) Run(ctx context.Context, wake <-chan struct{}) {
	panic("outbox: Run not implemented yet")
}

// Item returns one item by key (store.ErrNotFound when unknown).
func (o *Outbox) Item(ctx context.Context, key string) (*Item, error) {
	panic("outbox: Item not implemented yet")
}
