// Package enrol is the server's half of enrolment on the emergency
// WireGuard gateway (`relais serve` with [wireguard]): POST /v1/enrol and
// POST /v1/enrol/status (the contract is internal/enrolment), the peers of
// the gateway's interface, and their reconciliation with the database.
//
// An enrolment is recorded first (internal/server/db: one use of the
// token or code claimed atomically, the device's old peer revoked, the
// new peer "pending" with its addresses reserved), then put on the
// interface, then marked "active". Revoking marks the row first, then
// removes the peer. Reconcile, at start and every reconcile_interval,
// makes the interface agree with the rows: every pending or active row
// gets its peer (pending becomes active), every revoked row's peer goes,
// and a peer with no row is removed when it holds an address of the pool
// (any such peer with remove_unknown_peers). So a server killed at any
// point leaves, once restarted, no peer without a row and no row without
// its peer.
//
// Secrets never reach the database (enrolment.Hash only), the log or an
// answer. Failed attempts are rate-limited per source address, so codes
// cannot be guessed.
package enrol

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"aead.dev/minisign"
	"github.com/prometheus/client_golang/prometheus"

	"relais/internal/enrolment"
	"relais/internal/server/api"
	"relais/internal/server/db"
)

// Timeouts.
const (
	requestTimeout   = 30 * time.Second // one enrolment's database and interface work
	reconcileTimeout = 5 * time.Minute  // one reconciliation (3,000 peers)
)

// Limiter counts failed attempts per source address.
type Limiter interface {
	// Blocked says whether src has no attempt left at now, and for how long.
	Blocked(src netip.Addr, now time.Time) (bool, time.Duration)
	// Failed counts a failed attempt of src.
	Failed(src netip.Addr, now time.Time)
}

// Options are a Service's collaborators.
type Options struct {
	DB      *db.DB
	Gateway Gateway
	Pools   []netip.Prefix
	// Reserved are never handed out (the interface's own addresses).
	Reserved []netip.Addr
	// GrantKey signs each enrolment's grant; nil: no grant.
	GrantKey *minisign.PrivateKey
	// RemoveUnknownPeers: reconciliation also removes peers with no row
	// outside the pool (peers added by hand).
	RemoveUnknownPeers bool
	Limiter            Limiter // nil: no limit
	Logger             *slog.Logger
	Now                func() time.Time
}

// Service enrols devices.
type Service struct {
	o   Options
	log *slog.Logger
	now func() time.Time

	mu        sync.Mutex
	serverKey string // cached: the interface's device dump is large

	enrolments *prometheus.CounterVec
	peers      *prometheus.GaugeVec
}

// Test hooks (the crash test's child process blocks in one of them).
var (
	hookAfterRow    = func() {} // the row is pending, the peer not yet on the interface
	hookAfterPeer   = func() {} // the peer is on the interface, the row still pending
	hookAfterRevoke = func() {} // the row is revoked, the peer still on the interface
)

// New makes the service. It reads the interface's public key.
func New(ctx context.Context, o Options) (*Service, error) {
	s := &Service{o: o, log: o.Logger, now: o.Now,
		enrolments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relais_server_enrolments_total",
			Help: "Enrolment requests, by outcome (enrolled, reenrolled, repeat, or the refusal's code).",
		}, []string{"outcome"}),
		peers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "relais_server_enrol_peers",
			Help: "Enrolled peers in the database, by state (pending, active, revoked), as of the last reconciliation.",
		}, []string{"state"}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if _, err := s.serverPublicKey(ctx, true); err != nil {
		return nil, err
	}
	return s, nil
}

// Collectors are the service's metrics, for the server's registry.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.enrolments, s.peers}
}

func (s *Service) serverPublicKey(ctx context.Context, refresh bool) (string, error) {
	s.mu.Lock()
	k := s.serverKey
	s.mu.Unlock()
	if k != "" && !refresh {
		return k, nil
	}
	k, err := s.o.Gateway.PublicKey(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.serverKey = k
	s.mu.Unlock()
	return k, nil
}

// Result is one enrolment's answer.
type Result struct {
	Status   int // 201, or 200 for a repeat
	Response enrolment.Response
}

// Enrol enrols req's key from source. A refusal is an *enrolment.Error;
// it is logged in the enrolment events (never with the token).
func (s *Service) Enrol(ctx context.Context, req enrolment.Request, source string) (Result, error) {
	isCode := enrolment.IsCode(req.Token)
	res, err := s.o.DB.Enrol(ctx, db.EnrolRequest{Hash: enrolment.Hash(req.Token), IsCode: isCode,
		PublicKey: req.PublicKey, DeviceName: req.DeviceName, Pools: s.o.Pools, Reserved: s.o.Reserved, Source: source})
	if err != nil {
		code := dbCode(err)
		if code == enrolment.CodeUnavailable {
			s.log.Warn("enrolment", "err", err.Error())
		}
		s.refused(ctx, code, req.DeviceName, req.PublicKey, source)
		return Result{}, &enrolment.Error{Code: code, Detail: err.Error()}
	}
	p := res.Peer
	outcome := db.EventEnrolled
	switch {
	case res.Repeat:
		outcome = "repeat"
	case len(res.Replaced) > 0:
		outcome = db.EventReenrolled
	}
	for _, old := range res.Replaced {
		if err := s.o.Gateway.RemovePeer(ctx, old.PublicKey); err != nil {
			// Its row is revoked: reconciliation removes it.
			s.log.Warn("enrolment: remove the replaced peer", "device", old.DeviceName, "public_key", old.PublicKey, "err", err.Error())
		}
	}
	hookAfterRow()
	if err := s.o.Gateway.AddPeer(ctx, p.PublicKey, p.Addresses); err != nil {
		// The row stays pending: reconciliation (or the laptop's retry) adds it.
		s.log.Warn("enrolment: add the peer", "device", p.DeviceName, "public_key", p.PublicKey, "err", err.Error())
		s.enrolments.WithLabelValues(enrolment.CodeUnavailable).Inc()
		return Result{}, &enrolment.Error{Code: enrolment.CodeUnavailable, Detail: "the interface refused the peer"}
	}
	hookAfterPeer()
	if p.State == db.PeerPending {
		if err := s.o.DB.ActivatePeer(ctx, p.ID); err != nil {
			// On the interface already; reconciliation marks it active.
			s.log.Warn("enrolment: activate", "public_key", p.PublicKey, "err", err.Error())
		}
	}
	serverKey, err := s.serverPublicKey(ctx, false)
	if err != nil {
		s.enrolments.WithLabelValues(enrolment.CodeUnavailable).Inc()
		return Result{}, &enrolment.Error{Code: enrolment.CodeUnavailable, Detail: err.Error()}
	}
	resp := enrolment.Response{ServerPublicKey: serverKey}
	for _, a := range p.Addresses {
		resp.Addresses = append(resp.Addresses, a.String())
	}
	if s.o.GrantKey != nil {
		doc, sig, err := enrolment.SignGrant(p.PublicKey, p.Addresses, s.now(), *s.o.GrantKey)
		if err != nil {
			s.enrolments.WithLabelValues(enrolment.CodeUnavailable).Inc()
			return Result{}, &enrolment.Error{Code: enrolment.CodeUnavailable, Detail: "grant: " + err.Error()}
		}
		resp.Grant, resp.GrantSignature = string(doc), string(sig)
	}
	s.enrolments.WithLabelValues(outcome).Inc()
	s.log.Info("enrolment", "outcome", outcome, "device", p.DeviceName, "public_key", p.PublicKey, "via", p.Via,
		"addresses", resp.Addresses, "source", source)
	status := http.StatusCreated
	if res.Repeat {
		status = http.StatusOK
	}
	return Result{Status: status, Response: resp}, nil
}

// refused logs and counts a refusal.
func (s *Service) refused(ctx context.Context, code, device, key, source string) {
	s.enrolments.WithLabelValues(code).Inc()
	s.log.Info("enrolment refused", "code", code, "device", device, "public_key", key, "source", source)
	if code == enrolment.CodeRateLimited {
		return // a flood would fill the log table
	}
	if err := s.o.DB.AddEnrolEvent(ctx, db.EnrolEvent{Kind: db.EventRefused, Code: code, DeviceName: device,
		PublicKey: key, Source: source}); err != nil {
		s.log.Warn("enrolment event", "err", err.Error())
	}
}

// dbCode is the refusal code of a db error.
func dbCode(err error) string {
	switch {
	case errors.Is(err, db.ErrTokenUnknown):
		return enrolment.CodeTokenUnknown
	case errors.Is(err, db.ErrTokenExpired):
		return enrolment.CodeTokenExpired
	case errors.Is(err, db.ErrTokenUsedUp):
		return enrolment.CodeTokenUsedUp
	case errors.Is(err, db.ErrKeyInUse):
		return enrolment.CodeKeyInUse
	case errors.Is(err, db.ErrKeyRevoked):
		return enrolment.CodeRevoked
	case errors.Is(err, db.ErrPoolExhausted):
		return enrolment.CodePoolExhausted
	}
	return enrolment.CodeUnavailable
}

// guessing are the refusals that count against a source's attempts.
func guessing(code string) bool {
	switch code {
	case enrolment.CodeTokenUnknown, enrolment.CodeTokenExpired, enrolment.CodeTokenUsedUp, enrolment.CodeBadRequest:
		return true
	}
	return false
}

// Status answers whether key is still enrolled.
func (s *Service) Status(ctx context.Context, key string) (string, error) {
	st, err := s.o.DB.KeyStatus(ctx, key)
	if err != nil {
		return "", err
	}
	switch st {
	case db.PeerActive:
		return enrolment.StatusActive, nil
	case db.PeerRevoked:
		return enrolment.StatusRevoked, nil
	}
	return enrolment.StatusUnknown, nil
}

// Revoke revokes the live peer with this public key or id: the row first,
// then the peer on the interface (a failure there is left to
// reconciliation, and not an error). db.ErrNotFound when none matches.
func (s *Service) Revoke(ctx context.Context, keyOrID, by string) (db.Peer, error) {
	p, err := s.o.DB.RevokePeer(ctx, keyOrID, by)
	if err != nil {
		return p, err
	}
	hookAfterRevoke()
	if err := s.o.Gateway.RemovePeer(ctx, p.PublicKey); err != nil {
		s.log.Warn("revoke: remove the peer", "public_key", p.PublicKey, "err", err.Error())
	}
	s.log.Info("peer revoked", "device", p.DeviceName, "public_key", p.PublicKey, "by", by)
	return p, nil
}

// Report is what one reconciliation changed.
type Report struct {
	Added, Activated, Removed, Unknown int // Unknown: peers with no row removed
}

// Reconcile makes the interface agree with the database (see the package
// comment). The interface is read before the rows: a peer being enrolled
// meanwhile has its row committed before it reaches the interface, so it
// is never taken for an unknown peer. The rows are read again after
// peers were added: one revoked meanwhile is removed again, so a
// revocation racing a reconciliation does not bring the peer back.
func (s *Service) Reconcile(ctx context.Context) (Report, error) {
	var r Report
	onIf, err := s.o.Gateway.Peers(ctx)
	if err != nil {
		return r, err
	}
	if _, err := s.serverPublicKey(ctx, true); err != nil {
		return r, err
	}
	rows, err := s.o.DB.Peers(ctx, true)
	if err != nil {
		return r, err
	}
	known := make(map[string]bool, len(rows))
	live := make(map[string]bool, len(rows))
	added := map[string]bool{}
	counts := map[string]int{db.PeerPending: 0, db.PeerActive: 0, db.PeerRevoked: 0}
	var errs []error
	for _, p := range rows {
		known[p.PublicKey] = true
		if p.State == db.PeerRevoked {
			continue
		}
		live[p.PublicKey] = true
		if have, ok := onIf[p.PublicKey]; !ok || !enrolment.SameAddresses(have, p.Addresses) {
			if err := s.o.Gateway.AddPeer(ctx, p.PublicKey, p.Addresses); err != nil {
				errs = append(errs, err)
				continue
			}
			added[p.PublicKey] = true
			r.Added++
		}
		if p.State == db.PeerPending {
			if err := s.o.DB.ActivatePeer(ctx, p.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			r.Activated++
		}
	}
	for key, addrs := range onIf {
		switch {
		case live[key]:
			continue
		case !known[key] && !s.o.RemoveUnknownPeers && !s.inPool(addrs):
			continue // added by hand, outside the pool: left alone
		}
		if err := s.o.Gateway.RemovePeer(ctx, key); err != nil {
			errs = append(errs, err)
			continue
		}
		r.Removed++
		if !known[key] {
			r.Unknown++
			s.log.Warn("reconcile: removed a peer with no enrolment", "public_key", key)
		}
	}
	if len(added) > 0 {
		// A peer revoked (or replaced) while this pass read its row as
		// live, and removed by the revocation before this pass added it
		// back: the row, revoked before that removal, says so now.
		again, err := s.o.DB.Peers(ctx, true)
		if err != nil {
			errs = append(errs, err)
		}
		stillLive := map[string]bool{}
		for _, p := range again {
			if p.State != db.PeerRevoked {
				stillLive[p.PublicKey] = true
			}
		}
		for key := range added {
			if stillLive[key] || err != nil {
				continue
			}
			if err := s.o.Gateway.RemovePeer(ctx, key); err != nil {
				errs = append(errs, err)
				continue
			}
			r.Added--
			r.Removed++
		}
	}
	if c, err := s.o.DB.PeerCounts(ctx); err == nil {
		for st := range counts {
			s.peers.WithLabelValues(st).Set(float64(c[st]))
		}
	}
	if r != (Report{}) {
		s.log.Info("reconciled", "added", r.Added, "activated", r.Activated, "removed", r.Removed, "unknown", r.Unknown)
	}
	return r, errors.Join(errs...)
}

func (s *Service) inPool(addrs []netip.Prefix) bool {
	for _, a := range addrs {
		for _, p := range s.o.Pools {
			if p.Overlaps(a) {
				return true
			}
		}
	}
	return false
}

// Run reconciles every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
		if _, err := s.Reconcile(rctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reconcile", "err", err.Error())
		}
		cancel()
	}
}

// Handler serves Path and StatusPath.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+enrolment.Path, s.serveEnrol)
	mux.HandleFunc("POST "+enrolment.StatusPath, s.serveStatus)
	return mux
}

// NotEnabled answers every request 404 not_enabled: a server without
// [wireguard].
func NotEnabled() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, enrolment.CodeNotEnabled)
	})
}

func writeError(w http.ResponseWriter, code string) {
	api.WriteJSON(w, enrolment.HTTPStatus(code), enrolment.ErrorBody{Error: code})
}

// readBody reads at most MaxRequestBytes (+1, so that the parser sees an
// overlong body as one).
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, enrolment.MaxRequestBytes+1))
}

func (s *Service) blocked(w http.ResponseWriter, src netip.Addr) bool {
	if s.o.Limiter == nil {
		return false
	}
	if ok, wait := s.o.Limiter.Blocked(src, s.now()); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second))))
		return true
	}
	return false
}

func (s *Service) serveEnrol(w http.ResponseWriter, r *http.Request) {
	src := api.Source(r)
	if s.blocked(w, src) {
		s.refused(r.Context(), enrolment.CodeRateLimited, "", "", src.String())
		writeError(w, enrolment.CodeRateLimited)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	body, err := readBody(r)
	var req enrolment.Request
	if err == nil {
		req, err = enrolment.ParseRequest(body)
	} else {
		err = &enrolment.Error{Code: enrolment.CodeBadRequest}
	}
	var res Result
	if err != nil {
		code := enrolment.Code(err)
		s.refused(ctx, code, deviceFor(req.DeviceName), req.PublicKey, src.String())
	} else {
		res, err = s.Enrol(ctx, req, src.String())
	}
	if err != nil {
		code := enrolment.Code(err)
		if code == "" {
			code = enrolment.CodeUnavailable
		}
		if guessing(code) && s.o.Limiter != nil {
			s.o.Limiter.Failed(src, s.now())
		}
		if code == enrolment.CodeUnavailable || code == enrolment.CodePoolExhausted {
			w.Header().Set("Retry-After", "30")
		}
		writeError(w, code)
		return
	}
	api.WriteJSON(w, res.Status, res.Response)
}

// deviceFor is a device name fit for the log, from a request that may
// have been refused for it.
func deviceFor(name string) string {
	if name == "" {
		return ""
	}
	return enrolment.DeviceName(name)
}

func (s *Service) serveStatus(w http.ResponseWriter, r *http.Request) {
	src := api.Source(r)
	if s.blocked(w, src) {
		writeError(w, enrolment.CodeRateLimited)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	body, err := readBody(r)
	if err != nil {
		writeError(w, enrolment.CodeBadRequest)
		return
	}
	req, err := enrolment.ParseStatusRequest(body)
	if err != nil {
		if s.o.Limiter != nil {
			s.o.Limiter.Failed(src, s.now())
		}
		writeError(w, enrolment.Code(err))
		return
	}
	st, err := s.Status(ctx, req.PublicKey)
	if err != nil {
		s.log.Warn("enrolment status", "err", err.Error())
		w.Header().Set("Retry-After", "30")
		writeError(w, enrolment.CodeUnavailable)
		return
	}
	api.WriteJSON(w, http.StatusOK, enrolment.StatusResponse{Status: st})
}
