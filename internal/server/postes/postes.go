// Package postes is the Postes page of `relais serve` (/postes), for the
// helpdesk and the continuity team: create a one-time enrolment code for a
// person (shown once, big, to be read over the phone), find an enrolled
// laptop by its name or key and revoke it, see the setup tokens (never a
// secret) and the latest enrolments and refusals.
//
// The page is server-rendered (html/template), needs no JavaScript (a
// revocation is confirmed on a page of its own), in French or English.
// The handler renders the body and hands it to Options.Page; the server's
// layout wraps it behind the sign-in, the role check and CSRF, which
// Options.CSRFField puts in each form. A code is stored as enrolment.Hash
// only: once the page that shows it is gone, nobody can read it again.
package postes

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"relais/internal/enrolment"
	"relais/internal/i18n"
	"relais/internal/server/api"
	"relais/internal/server/db"
	"relais/internal/server/web"
)

// Path is where the page is served; forms post under it.
const Path = "/postes"

// Limits.
const (
	pageTimeout   = 15 * time.Second // one request's database work
	maxForm       = 16 << 10         // bytes of a form's body
	MaxPerson     = 100              // characters of the name a code is for
	maxQuery      = 200              // characters of a search
	eventsShown   = 30               // latest enrolment events listed
	peersShown    = 500              // laptops listed at most (a search finds the others)
	DefaultValid  = 8 * time.Hour    // a code's validity unless Options.CodeValidity says otherwise
	fieldPerson   = "person"
	fieldValidity = "valid"
)

// Section is the page's entry in the navigation and on the home page: the
// helpdesk and the continuity team.
var Section = web.Section{Path: Path, Key: "web.nav.devices", Roles: []db.Role{db.RoleHelpdesk, db.RoleContinuity}}

// Validities a code may be given, as the form offers them (with
// Options.CodeValidity).
var Validities = []time.Duration{time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour, 72 * time.Hour}

// Options are the handler's surroundings.
type Options struct {
	// Page writes a whole page around body (layout, account, language
	// links): web.Page. nil: a bare page.
	Page func(w http.ResponseWriter, r *http.Request, title string, body template.HTML)
	// Lang is the reader's language, "fr" or "en": web.Lang. nil: French.
	Lang func(*http.Request) string
	// CSRFField is the hidden field each form carries. nil: none.
	CSRFField func(*http.Request) template.HTML
	// Actor names who is signed in, stored with what they create or revoke.
	Actor func(*http.Request) string
	// Revoke revokes a peer and takes it off the gateway (the enrolment
	// service's Revoke). nil: the database's RevokePeer only; the running
	// server's reconcile loop then removes it within its interval.
	Revoke func(ctx context.Context, keyOrID, by string) (db.Peer, error)
	// CodeValidity is a code's validity unless another is chosen: the
	// configuration's [wireguard] code_validity. 0: DefaultValid.
	CodeValidity time.Duration
	// NotEnabled says the server enrols no one (no [wireguard]): the page
	// says so instead of offering codes.
	NotEnabled bool
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Location is the server's time zone, of the times shown; nil: Local.
	Location *time.Location
	// Logger: nil discards. It never receives a code.
	Logger *slog.Logger
}

type handler struct {
	db  *db.DB
	o   Options
	mux *http.ServeMux
}

//go:embed postes.css
var static embed.FS

// Handler returns the page's handler, to be mounted at Path and Path+"/".
func Handler(d *db.DB, o Options) http.Handler {
	if o.Lang == nil {
		o.Lang = func(*http.Request) string { return i18n.FR }
	}
	if o.Page == nil {
		o.Page = barePage(o.Lang)
	}
	if o.CSRFField == nil {
		o.CSRFField = func(*http.Request) template.HTML { return "" }
	}
	if o.Actor == nil {
		o.Actor = func(*http.Request) string { return "" }
	}
	if o.Revoke == nil {
		o.Revoke = d.RevokePeer
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CodeValidity <= 0 {
		o.CodeValidity = DefaultValid
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{db: d, o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Path, h.show)
	h.mux.HandleFunc("GET "+Path+"/{$}", h.show)
	h.mux.HandleFunc("GET "+Path+"/postes.css", h.css)
	h.mux.HandleFunc("POST "+Path+"/code", h.addCode)
	h.mux.HandleFunc("GET "+Path+"/{id}/revoquer", h.confirm)
	h.mux.HandleFunc("POST "+Path+"/{id}/revoquer", h.revoke)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) css(w http.ResponseWriter, r *http.Request) {
	b, _ := static.ReadFile("postes.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(b)
}

func (h *handler) lang(r *http.Request) string { return i18n.Normalize(h.o.Lang(r)) }

// view is what the templates read: words in the page's language.
type view struct {
	Lang string
	loc  *time.Location
}

// T is the message key in the page's language.
func (v view) T(key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

// Num is n with the language's digit grouping.
func (v view) Num(n int) string { return i18n.Integer(v.Lang, n) }

// Date is a moment as the reader writes it, in the server's time zone.
func (v view) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return i18n.DateTime(v.Lang, t.In(v.loc))
}

// ISO is t for <time datetime>.
func (v view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// peerRow is one enrolled laptop as the list shows it.
type peerRow struct {
	db.Peer
	Addrs      string
	ViaText    string
	StateWord  string
	StateClass string
	Live       bool
}

// tokenRow is one setup token (never its secret).
type tokenRow struct {
	db.SetupToken
	StateWord  string
	StateClass string
}

// eventRow is one enrolment event.
type eventRow struct {
	db.EnrolEvent
	KindWord   string
	KindClass  string
	ViaText    string
	CodeWord   string
	ShortKey   string
	DeviceName string
}

// created is a code just made: shown once.
type created struct {
	Code, Person string
	Expires      time.Time
	Validity     string
}

type pageView struct {
	view
	CSRF        template.HTML
	Query       string
	All         bool
	Flash       string
	Error       string
	Unavailable bool
	Created     *created
	Person      string // typed, kept when refused
	PersonError string
	Valid       time.Duration // chosen
	Validities  []validity
	NotEnabled  bool
	Peers       []peerRow
	PeerCount   int
	CountText   string
	MorePeers   bool
	Tokens      []tokenRow
	Codes       []db.EnrolCode
	Events      []eventRow
	MaxPerson   int
}

type validity struct {
	Minutes  int
	Word     string
	Selected bool
}

// shortKey is a public key's first characters, enough to tell laptops
// apart on the page.
func shortKey(k string) string {
	if len(k) > 12 {
		return k[:12] + "…"
	}
	return k
}

// Matches tells whether a peer is found by the search q: part of its
// device name (any case), or the start of its public key, or its number.
func Matches(p db.Peer, q string) bool {
	q = strings.TrimSpace(q)
	if q == "" {
		return true
	}
	if strings.Contains(strings.ToLower(p.DeviceName), strings.ToLower(q)) {
		return true
	}
	if len(q) >= 4 && strings.HasPrefix(p.PublicKey, q) {
		return true
	}
	return strconv.FormatInt(p.ID, 10) == q
}

func stateClass(s string) string {
	switch s {
	case "active", "file", "enrolled", "reenrolled":
		return "good"
	case "pending", "expired", "used_up":
		return "warn"
	case "revoked", "refused":
		return "bad"
	}
	return ""
}

// known peer states and event kinds, as the catalogue words them.
var (
	peerStates = []string{"pending", "active", "revoked"}
	eventKinds = []string{"enrolled", "reenrolled", "refused", "revoked"}
)

func word(v view, prefix, s string, known []string) string {
	if slices.Contains(known, s) {
		return v.T(prefix + s)
	}
	return s
}

// render writes the page; pv carries what the request adds (a form, a
// flash, a created code).
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, pv pageView) {
	lang := h.lang(r)
	now := h.o.Now()
	pv.view = view{Lang: lang, loc: h.o.Location}
	pv.CSRF = h.o.CSRFField(r)
	pv.MaxPerson = MaxPerson
	pv.Query = cleanQuery(r.URL.Query().Get("q"))
	pv.All = r.URL.Query().Get("tous") == "1"
	pv.NotEnabled = h.o.NotEnabled
	if pv.Valid == 0 {
		pv.Valid = h.o.CodeValidity
	}
	for _, d := range h.validities() {
		pv.Validities = append(pv.Validities, validity{Minutes: int(d / time.Minute), Word: i18n.Duration(lang, d), Selected: d == pv.Valid})
	}
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	peers, err := h.db.Peers(ctx, pv.All)
	var tokens []db.SetupToken
	var codes []db.EnrolCode
	var events []db.EnrolEvent
	if err == nil {
		tokens, err = h.db.SetupTokens(ctx)
	}
	if err == nil {
		codes, err = h.db.EnrolCodes(ctx, false)
	}
	if err == nil {
		events, err = h.db.EnrolEvents(ctx, eventsShown)
	}
	if err != nil {
		h.o.Logger.Warn("postes", "err", err.Error())
		pv.Unavailable = true
		if status < 400 {
			status = http.StatusServiceUnavailable
		}
	}
	for _, p := range peers {
		if !Matches(p, pv.Query) {
			continue
		}
		pv.PeerCount++
		if len(pv.Peers) >= peersShown {
			pv.MorePeers = true
			continue
		}
		addrs := make([]string, len(p.Addresses))
		for i, a := range p.Addresses {
			addrs[i] = a.String()
		}
		pv.Peers = append(pv.Peers, peerRow{Peer: p, Addrs: strings.Join(addrs, ", "), ViaText: ViaWord(lang, p.Via), StateWord: word(pv.view, "postes.state.", p.State, peerStates),
			StateClass: stateClass(p.State), Live: p.State != "revoked"})
	}
	if pv.Query == "" {
		pv.CountText = i18n.N(lang, "postes.peers.count", pv.PeerCount, i18n.Integer(lang, pv.PeerCount))
	} else {
		pv.CountText = i18n.T(lang, "postes.peers.found", i18n.Integer(lang, pv.PeerCount), pv.Query)
	}
	for _, t := range tokens {
		s := t.State(now)
		pv.Tokens = append(pv.Tokens, tokenRow{SetupToken: t, StateWord: pv.T("postes.token_state." + s), StateClass: stateClass(s)})
	}
	for _, c := range codes {
		if c.UsedAt.IsZero() && now.Before(c.Expires) {
			pv.Codes = append(pv.Codes, c)
		}
	}
	for _, e := range events {
		row := eventRow{EnrolEvent: e, KindWord: word(pv.view, "postes.event.", e.Kind, eventKinds), KindClass: stateClass(e.Kind),
			ShortKey: shortKey(e.PublicKey), DeviceName: cleanText(e.DeviceName), ViaText: ViaWord(lang, e.Via)}
		if e.Code != "" {
			row.CodeWord = refusalWord(lang, e.Code)
		}
		pv.Events = append(pv.Events, row)
	}
	body, rerr := render("page", pv)
	if rerr != nil {
		h.o.Logger.Error("postes: template", "err", rerr.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.o.Page(api.WithStatus(w, status), r, pv.T("postes.title"), body)
}

// ViaWord says what a laptop was enrolled with: "jeton rentree-2027",
// "code de Marie Dupont" (db.Peer.Via is "token:NAME" or "code:PERSON").
func ViaWord(lang, via string) string {
	if name, ok := strings.CutPrefix(via, "token:"); ok {
		return i18n.T(lang, "postes.via.token", cleanText(name))
	}
	if person, ok := strings.CutPrefix(via, "code:"); ok {
		return i18n.T(lang, "postes.via.code", cleanText(person))
	}
	return cleanText(via)
}

// refusalWord is a refusal's code in words, or the code when it is not
// one the page knows.
func refusalWord(lang, code string) string {
	key := "postes.refusal." + code
	if w := i18n.T(lang, key); w != key {
		return w
	}
	return code
}

// cleanText drops characters that reorder or hide text (a device name is
// chosen by the laptop).
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

// cleanQuery bounds and trims a search.
func cleanQuery(q string) string {
	q = strings.TrimSpace(cleanText(q))
	if utf8.RuneCountInString(q) > maxQuery {
		q = string([]rune(q)[:maxQuery])
	}
	return q
}

// CleanPerson is the name a code is for, its spaces collapsed, or "" when
// it is empty, longer than MaxPerson or carries control or format
// characters.
func CleanPerson(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxPerson {
		return ""
	}
	for _, c := range s {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			return ""
		}
	}
	return s
}

func (h *handler) show(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	var pv pageView
	if id, err := strconv.ParseInt(r.URL.Query().Get("revoque"), 10, 64); err == nil && id > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
		p, err := h.peerByID(ctx, id)
		cancel()
		if err == nil && p.State == "revoked" {
			pv.Flash = i18n.T(lang, "postes.revoked", cleanText(p.DeviceName))
		}
	}
	h.render(w, r, http.StatusOK, pv)
}

// readForm reads a posted form within maxForm.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

func (h *handler) addCode(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	if err := readForm(w, r); err != nil {
		h.render(w, r, http.StatusBadRequest, pageView{Error: i18n.T(lang, "postes.err.form")})
		return
	}
	typed := r.PostForm.Get(fieldPerson)
	minutes, err := strconv.Atoi(r.PostForm.Get(fieldValidity))
	valid := time.Duration(minutes) * time.Minute
	if err != nil || !slices.Contains(h.validities(), valid) {
		valid = h.o.CodeValidity
	}
	if h.o.NotEnabled {
		h.render(w, r, http.StatusConflict, pageView{Person: typed, Valid: valid, Error: i18n.T(lang, "postes.err.not_enabled")})
		return
	}
	person := CleanPerson(typed)
	if person == "" {
		h.render(w, r, http.StatusUnprocessableEntity, pageView{Person: typed, Valid: valid,
			PersonError: i18n.T(lang, "postes.err.person", MaxPerson)})
		return
	}
	secret := enrolment.NewCode()
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	actor := h.o.Actor(r)
	ec, err := h.db.AddEnrolCode(ctx, person, enrolment.Hash(secret), h.o.Now().Add(valid), actor)
	if err != nil {
		h.o.Logger.Warn("postes: code not created", "err", err.Error())
		h.render(w, r, http.StatusServiceUnavailable, pageView{Person: typed, Valid: valid, Error: i18n.T(lang, "postes.err.unavailable")})
		return
	}
	h.o.Logger.Info("postes: enrolment code created", "id", ec.ID, "by", actor)
	h.render(w, r, http.StatusOK, pageView{Valid: valid, Created: &created{Code: secret, Person: person, Expires: ec.Expires,
		Validity: i18n.Duration(lang, valid)}})
}

// validities are the code validities the form offers, shortest first.
func (h *handler) validities() []time.Duration {
	out := slices.Clone(Validities)
	if !slices.Contains(out, h.o.CodeValidity) {
		out = append(out, h.o.CodeValidity)
		slices.Sort(out)
	}
	return out
}

// peerByID finds a peer (revoked ones too) by its number.
func (h *handler) peerByID(ctx context.Context, id int64) (db.Peer, error) {
	peers, err := h.db.Peers(ctx, true)
	if err != nil {
		return db.Peer{}, err
	}
	for _, p := range peers {
		if p.ID == id {
			return p, nil
		}
	}
	return db.Peer{}, db.ErrNotFound
}

type confirmView struct {
	view
	CSRF   template.HTML
	Peer   peerRow
	Action string
}

func (h *handler) confirm(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	var p db.Peer
	if err == nil {
		p, err = h.peerByID(ctx, id)
	}
	switch {
	case errors.Is(err, db.ErrNotFound) || err != nil && id <= 0:
		h.render(w, r, http.StatusNotFound, pageView{Error: i18n.T(lang, "postes.err.unknown_peer")})
		return
	case err != nil:
		h.o.Logger.Warn("postes", "err", err.Error())
		h.render(w, r, http.StatusServiceUnavailable, pageView{Error: i18n.T(lang, "postes.err.unavailable")})
		return
	case p.State == "revoked":
		h.render(w, r, http.StatusConflict, pageView{Error: i18n.T(lang, "postes.err.already_revoked", cleanText(p.DeviceName))})
		return
	}
	v := view{Lang: lang, loc: h.o.Location}
	addrs := make([]string, len(p.Addresses))
	for i, a := range p.Addresses {
		addrs[i] = a.String()
	}
	cv := confirmView{view: v, CSRF: h.o.CSRFField(r), Action: Path + "/" + strconv.FormatInt(p.ID, 10) + "/revoquer",
		Peer: peerRow{Peer: p, Addrs: strings.Join(addrs, ", "), ViaText: ViaWord(lang, p.Via), StateWord: word(v, "postes.state.", p.State, peerStates)}}
	body, err := render("confirm", cv)
	if err != nil {
		h.o.Logger.Error("postes: template", "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.o.Page(w, r, v.T("postes.confirm.title", cleanText(p.DeviceName)), body)
}

func (h *handler) revoke(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.render(w, r, http.StatusNotFound, pageView{Error: i18n.T(lang, "postes.err.unknown_peer")})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	actor := h.o.Actor(r)
	p, err := h.o.Revoke(ctx, strconv.FormatInt(id, 10), actor)
	switch {
	case errors.Is(err, db.ErrNotFound):
		// No live peer: revoked already (by someone else, or a second
		// click), or no such peer.
		if old, ferr := h.peerByID(ctx, id); ferr == nil && old.State == db.PeerRevoked {
			h.render(w, r, http.StatusConflict, pageView{Error: i18n.T(lang, "postes.err.already_revoked", cleanText(old.DeviceName))})
			return
		}
		h.render(w, r, http.StatusNotFound, pageView{Error: i18n.T(lang, "postes.err.unknown_peer")})
		return
	case err != nil:
		h.o.Logger.Warn("postes: not revoked", "id", id, "err", err.Error())
		h.render(w, r, http.StatusServiceUnavailable, pageView{Error: i18n.T(lang, "postes.err.unavailable")})
		return
	}
	h.o.Logger.Info("postes: peer revoked", "id", id, "by", actor)
	q := url.Values{"revoque": {strconv.FormatInt(p.ID, 10)}}
	http.Redirect(w, r, Path+"?"+q.Encode(), http.StatusSeeOther)
}
