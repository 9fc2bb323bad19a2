// Package outbox delivers what must reach a server exactly once as far as
// the server can tell — drill reports now, diagnostics bundles later —
// across crashes, restarts and days offline. Each item is in the store
// before Enqueue returns; delivery is an HTTP POST with an
// Idempotency-Key header (the item's key), a deadline per request, and
// retries with exponential backoff whose schedule is itself in the store.
// An item is marked delivered only after a 2xx answer.
//
// Each attempt is claimed in a store transaction before its request is
// sent: the attempt is counted and the item's next attempt pushed past the
// request's deadline. A process killed mid-request therefore never retries
// in a hot loop, and two processes on one store never send an item at the
// same time. What a crash can cause is a second request for an item the
// receiver already has, under the same Idempotency-Key: that is what the
// key is for.
//
// It never imports fyne.io or the CLI and never logs a body (it may carry
// personal answers) or a URL's credentials.
package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"relais/internal/store"
	"relais/internal/version"
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
	// Receipt is the receiver's receipt for a delivered item, nil when it
	// gave none.
	Receipt *Receipt `json:"receipt"`
}

// Receipt is what a receiver answered for a delivered item: its number for
// it and when it received it, by its own clock.
type Receipt struct {
	ID       int64     `json:"id"`
	Received time.Time `json:"received"`
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

	// Run's waits; 0: the defaults below. Tests shorten them.
	minWait time.Duration // floor between two passes (defaultMinWait)
	maxWait time.Duration // ceiling: look at the store again at least this often (defaultMaxWait)
	dbRetry time.Duration // after a store error (defaultDBRetry)

	clientOnce sync.Once // guards client
	client     *http.Client
}

// Defaults.
const (
	DefaultTimeout = 15 * time.Second
	MaxBody        = 10 << 20 // bytes: a larger item is refused at Enqueue
	// MaxRetryAfter caps a server's Retry-After, so that one odd answer
	// cannot park an item for days.
	MaxRetryAfter = time.Hour
	// MaxKey is the longest idempotency key, in bytes.
	MaxKey = 200
)

// Errors of Enqueue.
var (
	ErrTooLarge = errors.New("outbox: body larger than MaxBody")
	// ErrBadURL: not https, nor http to a loopback host, or with a user
	// name or password in it.
	ErrBadURL = errors.New("outbox: URL must be https (http only on a loopback host), without credentials")
	// ErrBadKey: empty, longer than MaxKey, or not printable ASCII without
	// spaces (it travels in a header).
	ErrBadKey = errors.New("outbox: key must be 1 to 200 printable ASCII characters without spaces")
)

// Internal timing.
const (
	// leaseSlack is added to Timeout for the claim of an attempt: nothing
	// else retries the item while the request may still be running.
	leaseSlack = 30 * time.Second
	// maxAnswer bounds the part of an answer that is read (and, but for a
	// receipt, discarded).
	maxAnswer = 64 << 10
	// recordTimeout bounds writing an attempt's outcome, which happens even
	// when the caller's context has ended.
	recordTimeout = 10 * time.Second

	defaultMinWait = time.Second
	defaultMaxWait = 5 * time.Minute
	defaultDBRetry = 30 * time.Second
)

// DefaultBackoff waits 5 s after the first failure, doubling up to an hour,
// with ±20 % jitter.
func DefaultBackoff(n int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	// Jitter: laptops that come back online together do not retry in step.
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Outbox) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Outbox) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o *Outbox) backoff(n int) time.Duration {
	if o.Backoff != nil {
		return max(o.Backoff(n), 0)
	}
	return DefaultBackoff(n)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// httpClient is Client with redirects turned off, or a client that ignores
// the environment's proxy. Redirects are not followed: 301 to 303 would turn
// the POST into a GET, and the report URL is IT's to fix.
func (o *Outbox) httpClient() *http.Client {
	o.clientOnce.Do(func() {
		if o.Client != nil {
			c := *o.Client
			c.CheckRedirect = noRedirect
			o.client = &c
			return
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		o.client = &http.Client{Transport: t, CheckRedirect: noRedirect}
	})
	return o.client
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// checkURL accepts https, and http only to a loopback host, as profile
// validation does for report_url; never credentials.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Hostname() == "" || u.User != nil {
		return nil, ErrBadURL
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if isLoopback(u.Hostname()) {
			return u, nil
		}
	}
	return nil, ErrBadURL
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func checkKey(key string) error {
	if key == "" || len(key) > MaxKey {
		return ErrBadKey
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return ErrBadKey
		}
	}
	return nil
}

// Enqueue records an item (due at once). Enqueueing a key already there
// changes nothing and is not an error. An empty contentType is sent as
// application/octet-stream.
func (o *Outbox) Enqueue(ctx context.Context, kind, key, url, contentType string, body []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if kind == "" {
		return errors.New("outbox: enqueue: empty kind")
	}
	if _, err := checkURL(url); err != nil {
		return err
	}
	if len(body) > MaxBody {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(body))
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	if _, _, err := mime.ParseMediaType(contentType); err != nil {
		return fmt.Errorf("outbox: enqueue: content type: %w", err)
	}
	now := o.now()
	added, err := o.DB.EnqueueOutbox(ctx, store.OutboxItem{Key: key, Kind: kind, URL: url, ContentType: contentType,
		Body: body, Created: now, NextAttempt: now})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if added {
		o.logf("outbox: queued %s %s (%d bytes)", kind, key, len(body))
	}
	return nil
}

// DeliverDue makes one attempt at every pending item due now and returns
// how many were delivered. Items are sent one after the other; a refused
// or failed attempt is not an error (the item's state says what happened),
// a store error or the end of ctx is.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	keys, err := o.DB.DueOutbox(ctx, o.now(), 0)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	delivered := 0
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return delivered, err
		}
		ok, err := o.attempt(ctx, key)
		if ok {
			delivered++
		}
		if err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// attempt claims the item key and sends it once. It reports whether the
// receiver now has it.
func (o *Outbox) attempt(ctx context.Context, key string) (bool, error) {
	timeout := o.timeout()
	start := o.now()
	// Recorded before the request: a crash from here on leaves the item
	// due only after this, and another process does not send it meanwhile.
	it, err := o.DB.ClaimOutbox(ctx, key, start, func(n int) time.Time {
		return start.Add(max(o.backoff(n), timeout+leaseSlack))
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // delivered, or claimed by another process meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	res, host := o.send(ctx, it, timeout)

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, err := o.DB.RecordOutboxAttempt(rctx, it.Key, it.Attempts, res); err != nil {
		if res.State == store.OutboxDelivered {
			// The receiver has it; the next attempt sends it again under the
			// same key, which the receiver recognises.
			o.logf("outbox: %s %s: delivered to %s but not recorded: %v", it.Kind, it.Key, host, err)
		}
		return res.State == store.OutboxDelivered, fmt.Errorf("outbox: %w", err)
	}
	switch res.State {
	case store.OutboxDelivered:
		o.logf("outbox: %s %s: delivered to %s (HTTP %d, attempt %d)", it.Kind, it.Key, host, res.Status, it.Attempts)
	case store.OutboxRejected:
		o.logf("outbox: %s %s: refused by %s for good: %s", it.Kind, it.Key, host, res.Error)
	default:
		o.logf("outbox: %s %s: attempt %d to %s failed: %s; next at %s", it.Kind, it.Key, it.Attempts, host, res.Error,
			res.NextAttempt.UTC().Format(time.RFC3339))
	}
	if ctx.Err() != nil {
		return res.State == store.OutboxDelivered, ctx.Err()
	}
	return res.State == store.OutboxDelivered, nil
}

// send POSTs the item once and says how it ended, and the host it went to
// (for the log: never the path, query or credentials).
func (o *Outbox) send(ctx context.Context, it *store.OutboxItem, timeout time.Duration) (store.OutboxAttempt, string) {
	u, err := checkURL(it.URL)
	if err != nil {
		return store.OutboxAttempt{State: store.OutboxRejected, Error: "the URL is not allowed (https, or http on loopback only)", At: o.now()}, "?"
	}
	host := u.Host
	retry := func(status int, msg string, after time.Duration) store.OutboxAttempt {
		now := o.now()
		return store.OutboxAttempt{State: store.OutboxPending, Status: status, Error: msg,
			NextAttempt: now.Add(max(o.backoff(it.Attempts), after)), At: now}
	}

	rctx, cancel := context.WithTimeout(ctx, timeout) // covers reading the answer too
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, it.URL, bytes.NewReader(it.Body))
	if err != nil {
		return store.OutboxAttempt{State: store.OutboxRejected, Error: "the URL is not valid", At: o.now()}, host
	}
	ct := it.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Idempotency-Key", it.Key)
	req.Header.Set("User-Agent", "Relais/"+version.Version)
	resp, err := o.httpClient().Do(req)
	if err != nil {
		return retry(0, describe(ctx, err, u, timeout), 0), host
	}
	// Read a little of the answer so that the connection can be reused; a
	// failure here changes nothing: the status is the receiver's verdict.
	// Only a 2xx answer's first maxReceipt bytes are looked at, for a receipt.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()

	code := resp.StatusCode
	msg := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	switch {
	case code >= 200 && code <= 299:
		return store.OutboxAttempt{State: store.OutboxDelivered, Status: code, At: o.now(),
			Receipt: parseReceipt(answer, it.Key)}, host
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return retry(code, msg, retryAfter(resp.Header.Get("Retry-After"), o.now())), host
	case code >= 400:
		return store.OutboxAttempt{State: store.OutboxRejected, Status: code, Error: msg, At: o.now()}, host
	case code >= 300 && code <= 399:
		return retry(code, msg+": redirected elsewhere, check the URL", 0), host
	default:
		return retry(code, msg, 0), host
	}
}

// maxReceipt bounds the answer read as a receipt: a receipt is a small JSON
// object; a longer answer is not one.
const maxReceipt = 1 << 10

// parseReceipt reads the receipt in a 2xx answer: the JSON object
// {"kind","key","id","received","sha256","bytes"} the organisation's server
// answers with (internal/server/db.Receipt). It is a receipt only if it is
// at most maxReceipt bytes, names this item's key, a positive id and a
// date; anything else (an empty body, text, another document) is no
// receipt: nil, and the item is delivered all the same.
func parseReceipt(answer []byte, key string) *store.OutboxReceipt {
	if len(answer) == 0 || len(answer) > maxReceipt {
		return nil
	}
	var r struct {
		Kind     string    `json:"kind"`
		Key      string    `json:"key"`
		ID       int64     `json:"id"`
		Received time.Time `json:"received"`
		SHA256   string    `json:"sha256"`
		Bytes    int64     `json:"bytes"`
	}
	if err := json.Unmarshal(answer, &r); err != nil {
		return nil
	}
	if r.Key != key || r.Kind == "" || r.ID <= 0 || r.Received.IsZero() {
		return nil
	}
	return &store.OutboxReceipt{ID: r.ID, Received: r.Received}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped
// at MaxRetryAfter; 0 when absent or invalid.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs >= int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// describe says why a request got no answer, in a short phrase that never
// quotes the URL (its path or query may carry a token) nor the body.
func describe(ctx context.Context, err error, u *url.URL, timeout time.Duration) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		hostErr x509.HostnameError
		netErr  net.Error
	)
	switch {
	case ctx.Err() != nil:
		return "interrupted (Relais was stopping)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.As(err, &dnsErr):
		return "the server's name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before an answer"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "network unreachable"
	case errors.As(err, &certErr), errors.As(err, &hostErr):
		return "the server's certificate is not valid"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error quotes the URL
	}
	return scrub(err.Error(), u)
}

// scrub removes the URL and its parts from an error text and bounds it.
func scrub(s string, u *url.URL) string {
	for _, part := range []string{u.String(), u.Redacted(), u.RawQuery, u.EscapedPath(), u.Path} {
		if len(part) > 1 {
			s = strings.ReplaceAll(s, part, "…")
		}
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Run delivers until ctx ends: each item when it is due, and every pending
// item at once when wake fires (the network came back, a new item). It
// waits on a timer set from the store between passes, at least a second
// and at most a few minutes (another process may queue items too); after a
// store error it logs and tries again later.
func (o *Outbox) Run(ctx context.Context, wake <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := o.pass(ctx)
		if ctx.Err() != nil {
			return
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer.C:
		}
	}
}

// pass delivers what is due and returns how long to wait before the next.
func (o *Outbox) pass(ctx context.Context) time.Duration {
	minWait, maxWait := orDefault(o.minWait, defaultMinWait), orDefault(o.maxWait, defaultMaxWait)
	dbRetry := orDefault(o.dbRetry, defaultDBRetry)
	if _, err := o.DeliverDue(ctx); err != nil {
		if ctx.Err() != nil {
			return 0
		}
		o.logf("outbox: %v; trying again in %s", err, dbRetry)
		return dbRetry
	}
	next, ok, err := o.DB.NextOutboxAttempt(ctx)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return 0
		}
		o.logf("outbox: %v; trying again in %s", err, dbRetry)
		return dbRetry
	case !ok:
		return maxWait
	}
	return min(max(next.Sub(o.now()), minWait), maxWait)
}

// Item returns one item by key (store.ErrNotFound when unknown).
func (o *Outbox) Item(ctx context.Context, key string) (*Item, error) {
	it, err := o.DB.OutboxItem(ctx, key)
	if err != nil {
		return nil, err
	}
	out := fromStore(*it)
	return &out, nil
}

// Items returns every item the store keeps, newest first.
func (o *Outbox) Items(ctx context.Context) ([]Item, error) {
	its, err := o.DB.OutboxItems(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(its))
	for i, it := range its {
		out[i] = fromStore(it)
	}
	return out, nil
}

func fromStore(it store.OutboxItem) Item {
	out := Item{Key: it.Key, Kind: it.Kind, URL: it.URL, State: it.State, Created: it.Created, Attempts: it.Attempts,
		NextAttempt: it.NextAttempt, Delivered: it.Delivered, LastStatus: it.LastStatus, LastError: it.LastError}
	if r := it.Receipt; r != nil {
		out.Receipt = &Receipt{ID: r.ID, Received: r.Received}
	}
	return out
}
