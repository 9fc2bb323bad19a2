// Package server is the organisation's server, `relais serve`: for now the
// intake of what the laptops' outbox sends (drill reports and diagnostics
// bundles, exactly once by Idempotency-Key), /healthz and /metrics.
//
// A submission is accepted from trusted_networks or with the
// organisation's bearer token, within a per-source rate and the size
// limits. Answers follow what internal/outbox expects: 2xx delivered;
// 408, 429 and 5xx retried (Retry-After honoured); any other 4xx refused
// for good. Errors are JSON: {"error": CODE, "message": ENGLISH}.
//
// Logs (log/slog) never carry a body, a token or the database URL.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"aead.dev/minisign"

	"relais/internal/casecode"
	"relais/internal/drills"
	"relais/internal/enrolment"
	"relais/internal/server/api"
	"relais/internal/server/avis"
	"relais/internal/server/campaign"
	"relais/internal/server/config"
	"relais/internal/server/db"
	"relais/internal/server/enrol"
	"relais/internal/server/postes"
	"relais/internal/server/web"
)

// Paths of the HTTP API.
const (
	PathReports = "/v1/reports"
	PathBundles = "/v1/bundles"
	PathHealth  = "/healthz"
	PathMetrics = "/metrics"
)

// Error codes of the API (the "error" member of an error's JSON).
const (
	ErrCodeKeyMissing    = "key_missing"       // no Idempotency-Key
	ErrCodeKeyInvalid    = "key_invalid"       // not 1 to 200 printable ASCII characters
	ErrCodeCaseCode      = "case_code_invalid" // a bundle's key is not a case code
	ErrCodeKeyMismatch   = "key_mismatch"      // a report's key is not its run_id
	ErrCodeKeyReused     = "key_reused"        // the key was used for another body
	ErrCodeTooLarge      = "too_large"         // over the size limit
	ErrCodeReportInvalid = "report_invalid"    // not a drill report
	ErrCodeUnauthorized  = "unauthorized"      // no credentials from an untrusted network
	ErrCodeForbidden     = "forbidden"         // wrong credentials
	ErrCodeRateLimited   = "rate_limited"      // too many submissions from this source
	ErrCodeUnavailable   = "unavailable"       // the database did not answer: retry
	ErrCodeBadRequest    = "bad_request"       // the body could not be read
)

// Timeouts.
const (
	dbTimeout     = 15 * time.Second // one submission's database work
	healthTimeout = 2 * time.Second  // /healthz's ping
	maxKey        = 200              // bytes of an Idempotency-Key, as the outbox
	// MinTokenLength is the shortest submit token accepted.
	MinTokenLength = 16
)

// Options are the server's collaborators.
type Options struct {
	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now (rate limits)
	// Ready, for Run, is told the address the server listens on, once it
	// does (the port chosen when listen's is 0).
	Ready func(addr string)
	// Gateway is the WireGuard interface of [wireguard]; nil: the
	// interface the configuration names, through wgctrl (tests give a
	// fake).
	Gateway enrol.Gateway
}

// Server is the HTTP handler of `relais serve`.
type Server struct {
	cfg     *config.Config
	db      *db.DB
	log     *slog.Logger
	now     func() time.Time
	token   []byte // nil: no bearer token accepted
	limiter *limiter
	metrics *metrics
	mux     *http.ServeMux
	// Web is the pages for people (web.Patterns); other pages render
	// inside its layout and behind its role checks (Web.Require).
	Web     *web.Handler
	notices *avis.Signer // nil: no notice_key_file
	// Enrol is enrolment on the WireGuard gateway; nil without [wireguard].
	Enrol   *enrol.Service
	closers []func() error
}

// New builds the server's handler on an open database. It reads the
// submit token file, if the configuration names one.
func New(cfg *config.Config, d *db.DB, o Options) (*Server, error) {
	s := &Server{cfg: cfg, db: d, log: o.Logger, now: o.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.SubmitTokenFile != "" {
		tok, err := readToken(cfg.SubmitTokenFile)
		if err != nil {
			return nil, err
		}
		s.token = tok
	}
	var err error
	if cfg.NoticeKeyFile != "" {
		signer, err := avis.LoadSigner(cfg.NoticeKeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoticeKey, err)
		}
		s.notices = signer
	}
	s.limiter = newLimiter(cfg.Limits.RatePerMinute, cfg.Limits.RateBurst)
	s.metrics = newMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathReports, s.submit(kindReport))
	mux.HandleFunc("POST "+PathBundles, s.submit(kindBundle))
	mux.HandleFunc("GET "+PathHealth, s.health)
	mux.Handle("GET "+PathMetrics, s.metrics.handler())
	wo := web.Options{DB: d, Logger: s.log, Now: o.Now, TLS: cfg.TLS.Enabled()}
	if cfg.HelpdeskIdentityFile != "" {
		if wo.Identities, err = web.LoadIdentities(cfg.HelpdeskIdentityFile); err != nil {
			return nil, err
		}
	}
	s.Web = web.New(wo)
	for _, p := range web.Patterns {
		mux.Handle(p, s.Web)
	}
	// The Campagne pages (continuity team; ambassadors read them too) and
	// the Avis page (continuity team), inside the web layout, behind its
	// sign-in, role check and CSRF check.
	campaigns := s.Web.Require(db.RoleContinuity, db.RoleAmbassador)(campaign.Handler(d,
		campaign.Options{Page: web.Page, Lang: web.Lang, Now: o.Now}))
	mux.Handle("GET "+campaign.Path, campaigns)
	mux.Handle("GET "+campaign.Path+"/", campaigns)
	s.Web.AddSection(web.SectionCampaigns)
	notices := s.Web.Require(db.RoleContinuity)(avis.Handler(d, s.notices, avis.Options{Page: web.Page, Lang: web.Lang,
		CSRFField: web.CSRFField, Actor: actor, Now: o.Now, Logger: s.log}))
	mux.Handle(avis.Path, notices)
	mux.Handle(avis.Path+"/", notices)
	s.Web.AddSection(web.SectionNotices)
	// The Postes page (helpdesk, continuity): enrolment codes, enrolled
	// laptops and their revocation, setup tokens, the enrolment log.
	// A revocation takes the peer off the gateway at once (s.Enrol, made
	// below), else the database only.
	po := postes.Options{Page: web.Page, Lang: web.Lang, CSRFField: web.CSRFField, Actor: actor, Now: o.Now, Logger: s.log,
		NotEnabled: cfg.WireGuard == nil, Revoke: func(ctx context.Context, keyOrID, by string) (db.Peer, error) {
			if s.Enrol != nil {
				return s.Enrol.Revoke(ctx, keyOrID, by)
			}
			return d.RevokePeer(ctx, keyOrID, by)
		}}
	if cfg.WireGuard != nil {
		po.CodeValidity = cfg.WireGuard.CodeTTL
	}
	devices := s.Web.Require(postes.Section.Roles...)(postes.Handler(d, po))
	mux.Handle(postes.Path, devices)
	mux.Handle(postes.Path+"/", devices)
	s.Web.AddSection(postes.Section)
	mux.Handle("GET "+avis.PathDocument, avis.Endpoint(d, s.notices != nil, s.log))
	mux.Handle("GET "+avis.PathSignature, avis.Endpoint(d, s.notices != nil, s.log))
	if cfg.WireGuard != nil {
		if err := s.newEnrol(cfg.WireGuard, o); err != nil {
			s.Close()
			return nil, err
		}
		h := s.Enrol.Handler()
		mux.Handle("POST "+enrolment.Path, h)
		mux.Handle("POST "+enrolment.StatusPath, h)
		s.metrics.reg.MustRegister(s.Enrol.Collectors()...)
	} else {
		mux.Handle(enrolment.Path, enrol.NotEnabled())
		mux.Handle(enrolment.StatusPath, enrol.NotEnabled())
	}
	s.mux = mux
	return s, nil
}

// Errors of [wireguard] at start (each wraps the cause).
var (
	// ErrGrantKey: grant_key_file cannot be used (an *avis.KeyError says why).
	ErrGrantKey = errors.New("server: grant key")
	// ErrSetupTokens: setup_tokens_file cannot be used (an
	// *enrol.TokensFileError says why, or db.ErrExists: a name taken by a
	// token made with the CLI).
	ErrSetupTokens = errors.New("server: setup tokens file")
	// ErrWireGuard: the interface cannot be managed (an
	// *enrol.GatewayError says why).
	ErrWireGuard = errors.New("server: wireguard")
)

// startTimeout bounds New's work on the interface and the database.
const startTimeout = 30 * time.Second

// newEnrol opens the gateway, loads the grant key and the setup tokens
// file (its tokens upserted into the database) and makes the service.
func (s *Server) newEnrol(w *config.WireGuard, o Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	eo := enrol.Options{DB: s.db, Gateway: o.Gateway, Pools: w.Pools, RemoveUnknownPeers: w.RemoveUnknownPeers,
		Limiter: failLimiter{newLimiter(s.cfg.Limits.RatePerMinute, s.cfg.Limits.RateBurst)}, Logger: s.log, Now: o.Now}
	if w.GrantKeyFile != "" {
		key, err := enrol.LoadGrantKey(w.GrantKeyFile)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrGrantKey, err)
		}
		eo.GrantKey = &key
		if pub, ok := key.Public().(minisign.PublicKey); ok {
			// For the profile's [enrolment] public_key.
			s.log.Info("enrolment grant key", "public_key", pub.String())
		}
	}
	if w.SetupTokensFile != "" {
		toks, err := enrol.LoadSetupTokens(w.SetupTokensFile)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSetupTokens, err)
		}
		if err := s.db.UpsertFileTokens(ctx, toks); err != nil {
			return fmt.Errorf("%w: %w", ErrSetupTokens, err)
		}
	}
	if eo.Gateway == nil {
		wg, err := enrol.OpenWireGuard(ctx, w.Interface)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrWireGuard, err)
		}
		s.closers = append(s.closers, wg.Close)
		eo.Gateway = wg
		eo.Reserved = enrol.InterfaceAddrs(w.Interface)
	}
	svc, err := enrol.New(ctx, eo)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWireGuard, err)
	}
	s.Enrol = svc
	return nil
}

// Close releases what New opened (the WireGuard handle); not the database.
func (s *Server) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// failLimiter counts failed enrolment attempts per source in a token
// bucket of the server's limiter: a source is blocked while its bucket is
// empty, and only failures take from it.
type failLimiter struct{ l *limiter }

func (f failLimiter) Blocked(src netip.Addr, now time.Time) (bool, time.Duration) {
	f.l.mu.Lock()
	defer f.l.mu.Unlock()
	b, ok := f.l.buckets[src]
	if !ok || b.TokensAt(now) >= 1 {
		return false, 0
	}
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return true, time.Minute
	}
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return true, d
}

func (f failLimiter) Failed(src netip.Addr, now time.Time) { f.l.allow(src, now) }

// actor names the signed-in account, for what it publishes.
func actor(r *http.Request) string {
	if a := web.Account(r); a != nil {
		return a.Name
	}
	return ""
}

// ErrNoticeKey: notice_key_file cannot be used (an *avis.KeyError says why).
var ErrNoticeKey = errors.New("server: notice key")

// ErrToken: the submit token file is missing, unreadable or too short.
var ErrToken = errors.New("server: submit token")

// readToken reads the bearer token: the file's first line, trimmed.
func readToken(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	if len(line) < MinTokenLength {
		// Never the token itself, not even its length.
		return nil, fmt.Errorf("%w: %s: shorter than %d characters", ErrToken, path, MinTokenLength)
	}
	return []byte(line), nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	if r.TLS != nil {
		// Over HTTPS, browsers keep to HTTPS for this host from then on.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

type kind string

const (
	kindReport kind = "report"
	kindBundle kind = "bundle"
)

// apiError is an error's JSON.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"` // a report's ReportError code
}

// submission is what the log and the metrics say about one request.
type submission struct {
	kind    kind
	status  int
	outcome string
	key     string
	bytes   int
}

func (s *Server) submit(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		src := api.Source(r)
		key := r.Header.Get("Idempotency-Key")
		sub := submission{kind: k, key: printableKey(key)}
		fail := func(status int, code, msg string) {
			sub.status, sub.outcome = status, code
			api.WriteJSON(w, status, apiError{Error: code, Message: msg})
		}
		defer func() {
			s.metrics.observe(string(k), sub.outcome, time.Since(start))
			level := slog.LevelInfo
			if sub.status >= 500 {
				level = slog.LevelWarn
			}
			s.log.Log(r.Context(), level, "submission", "kind", string(k), "source", src.String(), "key", sub.key,
				"status", sub.status, "outcome", sub.outcome, "bytes", sub.bytes,
				"duration_ms", time.Since(start).Milliseconds())
		}()

		if ok, wait := s.limiter.allow(src, s.now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second))))
			fail(http.StatusTooManyRequests, ErrCodeRateLimited, "too many submissions from this address; retry later")
			return
		}
		if status, code, msg := s.authorize(r, src); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="relais"`)
			}
			fail(status, code, msg)
			return
		}
		switch {
		case key == "":
			fail(http.StatusBadRequest, ErrCodeKeyMissing, "an Idempotency-Key header is required")
			return
		case sub.key != key:
			sub.key = ""
			fail(http.StatusBadRequest, ErrCodeKeyInvalid, "the Idempotency-Key must be 1 to 200 printable ASCII characters")
			return
		case k == kindBundle && !casecode.Valid(key):
			fail(http.StatusBadRequest, ErrCodeCaseCode, "a bundle's Idempotency-Key is its case code, such as RLS-7K3M-Q9TD")
			return
		}
		limit := s.cfg.Limits.MaxReportBytes
		if k == kindBundle {
			limit = s.cfg.Limits.MaxBundleBytes
		}
		if r.ContentLength > limit {
			fail(http.StatusRequestEntityTooLarge, ErrCodeTooLarge, fmt.Sprintf("larger than %d bytes", limit))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		sub.bytes = len(body)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			fail(http.StatusRequestEntityTooLarge, ErrCodeTooLarge, fmt.Sprintf("larger than %d bytes", limit))
			return
		case err != nil:
			fail(http.StatusBadRequest, ErrCodeBadRequest, "the body could not be read")
			return
		}
		ctype := contentType(r.Header.Get("Content-Type"))

		ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
		defer cancel()
		var receipt db.Receipt
		var created bool
		if k == kindReport {
			rep, perr := drills.ParseReport(body)
			if err := perr; err != nil {
				var re *drills.ReportError
				detail := drills.ReportNotReport
				if errors.As(err, &re) {
					detail = re.Code
				}
				sub.status, sub.outcome = http.StatusBadRequest, ErrCodeReportInvalid
				api.WriteJSON(w, http.StatusBadRequest, apiError{Error: ErrCodeReportInvalid, Detail: detail,
					Message: "not a drill report of Relais: " + errMessage(err)})
				return
			}
			if rep.RunID != key {
				fail(http.StatusBadRequest, ErrCodeKeyMismatch, "a report's Idempotency-Key is its run_id")
				return
			}
			receipt, created, err = s.db.PutReport(ctx, key, src.String(), ctype, body, db.FactsOf(rep))
		} else {
			receipt, created, err = s.db.PutBundle(ctx, key, src.String(), ctype, body)
		}
		switch {
		case errors.Is(err, db.ErrKeyReused):
			fail(http.StatusUnprocessableEntity, ErrCodeKeyReused, "this Idempotency-Key was used for another body")
			return
		case err != nil:
			s.log.Warn("database", "kind", string(k), "key", sub.key, "err", err.Error())
			w.Header().Set("Retry-After", "5")
			fail(http.StatusServiceUnavailable, ErrCodeUnavailable, "the database did not answer; retry later")
			return
		}
		sub.status, sub.outcome = http.StatusOK, "repeat"
		if created {
			sub.status, sub.outcome = http.StatusCreated, "created"
		}
		api.WriteJSON(w, sub.status, receipt)
	}
}

// errMessage is a report error's English detail, bounded: it may quote
// the body.
func errMessage(err error) string {
	m := err.Error()
	if len(m) > 200 {
		m = m[:200] + "…"
	}
	return m
}

// printableKey is key when it is 1 to maxKey printable ASCII characters
// without spaces (what the outbox sends), else "".
func printableKey(key string) string {
	if key == "" || len(key) > maxKey {
		return ""
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return ""
		}
	}
	return key
}

// contentType is the media type as stored: parsed and bounded, or
// application/octet-stream.
func contentType(h string) string {
	mt, params, err := mime.ParseMediaType(h)
	if err != nil || len(mt) > 100 {
		return "application/octet-stream"
	}
	if cs, ok := params["charset"]; ok && len(cs) < 40 {
		return mime.FormatMediaType(mt, map[string]string{"charset": cs})
	}
	return mt
}

// authorize says whether r may submit: from a trusted network, or with the
// bearer token. It returns 0 when it may.
func (s *Server) authorize(r *http.Request, src netip.Addr) (int, string, string) {
	for _, p := range s.cfg.Networks {
		if src.IsValid() && p.Contains(src) {
			return 0, "", ""
		}
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return http.StatusUnauthorized, ErrCodeUnauthorized, "submissions need the organisation's bearer token from outside the trusted networks"
	}
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || s.token == nil ||
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), s.token) != 1 {
		return http.StatusForbidden, ErrCodeForbidden, "this token is not accepted"
	}
	return 0, "", ""
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("health", "err", err.Error())
		api.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": string(s.db.Dialect())})
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(s.db.Dialect())})
}
