// Package web is the organisation's server's pages for people: sign-in
// (/connexion, /deconnexion), a home page that links to what an account's
// role may see, and Dossiers, the helpdesk's inbox of diagnostics bundles
// (/dossiers, /dossiers/{case-code}). Pages are server-rendered with
// html/template, in French or English (Accept-Language, overridden by a
// ?lang= link kept in a cookie), need no JavaScript (the Content-Security-
// Policy allows none), and refuse to be framed.
//
// Accounts have one role: continuity (campaigns, notices), helpdesk (the
// inbox: read, download, take, note, resolve) or ambassador. Ambassadors
// relay and help colleagues: they may READ the inbox and a bundle's
// verdict and notes, so that they can tell a colleague what the helpdesk
// sees, but not download a bundle, take it, write a note or resolve it —
// the helpdesk stays the one owner of a case.
//
// Other packages render inside this layout and behind the same role and
// CSRF checks with (*Handler).Require and Page (the Campagne pages do).
//
// Sessions: a random 256-bit id in a cookie (__Host-relais_session over
// TLS, relais_session on plain loopback HTTP; HttpOnly, SameSite=Lax,
// Path=/), stored as its SHA-256 with an idle and an absolute expiry.
// Every POST carries the session's CSRF token in a hidden field and passes
// net/http's cross-origin protection (Sec-Fetch-Site, Origin). Sign-in is
// throttled per account and per source. Logs never carry a password, a
// session id or a token.
package web

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/text/language"

	"relais/internal/i18n"
	"relais/internal/server/db"
)

// Paths of the pages this package serves.
const (
	PathHome     = "/"
	PathLogin    = "/connexion"
	PathLogout   = "/deconnexion"
	PathDossiers = "/dossiers"
	PathStatic   = "/static/"
)

// Patterns are what the server's mux routes to the Handler.
var Patterns = []string{"/{$}", PathLogin, PathLogout, PathDossiers, PathDossiers + "/", PathStatic}

// Timeouts and limits.
const (
	IdleTimeout     = 2 * time.Hour  // a session unused that long ends
	AbsoluteTimeout = 12 * time.Hour // a session ends that long after sign-in, used or not
	touchEvery      = time.Minute    // last_seen is written at most this often
	dbTimeout       = 10 * time.Second
	maxForm         = 64 << 10 // bytes of a form's body
	inboxShown      = 200      // bundles listed on /dossiers
)

// Section is an entry of the home page and the navigation: a page some
// roles may see.
type Section struct {
	Path  string
	Key   string // catalogue key of its name (web.*.json)
	Roles []db.Role
}

// Options are the Handler's collaborators.
type Options struct {
	DB     *db.DB
	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now
	// TLS says the server speaks HTTPS: the session cookie is then
	// __Host-relais_session, Secure.
	TLS bool
	// Identities open age-encrypted bundles server-side (the helpdesk's
	// identity, helpdesk_identity_file); none: bundles are downloaded and
	// opened with `relais diag open`.
	Identities []age.Identity
	// Sections are added after Dossiers on the home page and in the
	// navigation (Campagnes, Avis: pages of other packages).
	Sections []Section
}

// Handler serves the pages.
type Handler struct {
	db       *db.DB
	log      *slog.Logger
	now      func() time.Time
	tls      bool
	ids      []age.Identity
	sections []Section
	cop      *http.CrossOriginProtection
	throttle *throttle
	mux      *http.ServeMux
}

//go:embed static/web.css
var staticFS embed.FS

// New builds the pages' handler.
func New(o Options) *Handler {
	h := &Handler{db: o.DB, log: o.Logger, now: o.Now, tls: o.TLS, ids: o.Identities, cop: http.NewCrossOriginProtection()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.throttle = newThrottle(h.now)
	h.sections = append([]Section{{Path: PathDossiers, Key: "web.nav.dossiers", Roles: []db.Role{db.RoleHelpdesk, db.RoleAmbassador}}}, o.Sections...)
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", h.Require()(http.HandlerFunc(h.home)))
	mux.HandleFunc("GET "+PathLogin, h.loginForm)
	mux.HandleFunc("POST "+PathLogin, h.login)
	mux.Handle("POST "+PathLogout, h.Require()(http.HandlerFunc(h.logout)))
	readers := h.Require(db.RoleHelpdesk, db.RoleAmbassador)
	helpdesk := h.Require(db.RoleHelpdesk)
	mux.Handle("GET "+PathDossiers, readers(http.HandlerFunc(h.inbox)))
	mux.Handle("GET "+PathDossiers+"/{code}", readers(http.HandlerFunc(h.dossier)))
	mux.Handle("GET "+PathDossiers+"/{code}/bundle", helpdesk(http.HandlerFunc(h.download)))
	mux.Handle("POST "+PathDossiers+"/{code}/{action}", helpdesk(http.HandlerFunc(h.act)))
	mux.Handle("GET "+PathStatic+"web.css", http.StripPrefix(PathStatic, http.FileServerFS(mustSub(staticFS, "static"))))
	mux.HandleFunc("/", h.notFound)
	h.mux = mux
	return h
}

// AddSection adds a page of another package to the home page and the
// navigation (Campagnes, Avis), for the roles that may see it. Call it
// before serving.
func (h *Handler) AddSection(s Section) { h.sections = append(h.sections, s) }

// Standard sections of other packages, named in web.*.json.
var (
	SectionCampaigns = Section{Path: "/campagnes", Key: "web.nav.campaigns", Roles: []db.Role{db.RoleContinuity, db.RoleAmbassador}}
	SectionNotices   = Section{Path: "/avis", Key: "web.nav.notices", Roles: []db.Role{db.RoleContinuity}}
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	h.mux.ServeHTTP(w, r)
}

// csp allows the page's own stylesheet and nothing else: no script at all,
// no frame, no form to another site.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
}

// state is what the layout needs of a request, put in its context by
// Require (or made on the spot for public pages).
type state struct {
	h       *Handler
	lang    string
	session *db.Session // nil: anonymous
}

type ctxKey struct{}

func stateOf(r *http.Request) *state {
	if s, ok := r.Context().Value(ctxKey{}).(*state); ok {
		return s
	}
	return &state{lang: langOf(nil, r)}
}

func withState(r *http.Request, s *state) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, s))
}

// Lang is the language of the request's page: "fr" or "en".
func Lang(r *http.Request) string { return stateOf(r).lang }

// Account is the signed-in account behind Require, or nil.
func Account(r *http.Request) *db.Account {
	if s := stateOf(r).session; s != nil {
		a := s.Account
		return &a
	}
	return nil
}

// CSRFField is the hidden field every form that POSTs must carry.
func CSRFField(r *http.Request) template.HTML {
	s := stateOf(r).session
	if s == nil {
		return ""
	}
	return template.HTML(`<input type="hidden" name="csrf" value="` + template.HTMLEscapeString(s.CSRF) + `">`)
}

// langCookie keeps the language chosen with ?lang=.
const langCookie = "relais_lang"

// langOf picks the page's language: ?lang=, then the cookie, then
// Accept-Language, then French. A ?lang= is kept in the cookie (w nil:
// not kept).
func langOf(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q == i18n.FR || q == i18n.EN {
		if w != nil {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		}
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == i18n.FR || c.Value == i18n.EN) {
		return c.Value
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err == nil {
		for _, t := range tags {
			base, _ := t.Base()
			switch base.String() {
			case i18n.FR:
				return i18n.FR
			case i18n.EN:
				return i18n.EN
			}
		}
	}
	return i18n.FR
}

// Require lets a request through only from a signed-in account of one of
// roles (any role when none is given): anonymous requests are sent to
// /connexion, other roles get a 403 page in words. A POST must also carry
// the session's CSRF token (form field csrf) and come from this site.
// Pages behind it render with Page.
func (h *Handler) Require(roles ...db.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			securityHeaders(w)
			st := &state{h: h, lang: langOf(w, r)}
			r = withState(r, st)
			sess, id := h.session(r)
			if sess == nil {
				target := PathLogin
				if r.Method == http.MethodGet && r.URL.Path != PathHome {
					target += "?next=" + url.QueryEscape(r.URL.RequestURI())
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			st.session = sess
			if r.Method != http.MethodGet && r.Method != http.MethodHead && !h.checkCSRF(w, r, sess) {
				return
			}
			if len(roles) > 0 && !hasRole(sess.Account.Role, roles) {
				h.log.Info("forbidden", "account", sess.Account.Name, "role", string(sess.Account.Role), "path", r.URL.Path)
				h.errorPage(w, r, http.StatusForbidden, "web.forbidden.title", t(st.lang, "web.forbidden.text",
					roleWord(st.lang, sess.Account.Role), roleList(st.lang, roles)))
				return
			}
			h.touch(r.Context(), sess, id)
			next.ServeHTTP(w, r)
		})
	}
}

func hasRole(r db.Role, roles []db.Role) bool {
	for _, x := range roles {
		if r == x {
			return true
		}
	}
	return false
}

func t(lang, key string, args ...any) string { return i18n.T(lang, key, args...) }

func roleWord(lang string, r db.Role) string { return t(lang, "web.role."+string(r)) }

func roleList(lang string, roles []db.Role) string {
	words := make([]string, len(roles))
	for i, r := range roles {
		words[i] = roleWord(lang, r)
	}
	return strings.Join(words, t(lang, "web.or"))
}

// layoutView is what the layout shows around a page's body.
type layoutView struct {
	Lang, Title, OtherLang, OtherLangName, OtherLangLabel string
	Account                                               string
	Role                                                  string
	Nav                                                   []navItem
	CSRF                                                  template.HTML
	Body                                                  template.HTML
	T                                                     func(string, ...any) string
	Path                                                  string
}

type navItem struct {
	Path, Name string
	Current    bool
}

// Page writes a page with status 200: title and body inside the layout
// (navigation, language switch, sign-out), in the request's language.
// body must be HTML the caller produced with html/template.
func Page(w http.ResponseWriter, r *http.Request, title string, body template.HTML) {
	PageStatus(w, r, http.StatusOK, title, body)
}

// PageStatus is Page with another status.
func PageStatus(w http.ResponseWriter, r *http.Request, status int, title string, body template.HTML) {
	st := stateOf(r)
	securityHeaders(w)
	v := layoutView{Lang: st.lang, Title: title, Body: body, Path: r.URL.Path,
		T: func(key string, args ...any) string { return t(st.lang, key, args...) }}
	v.OtherLang, v.OtherLangName, v.OtherLangLabel = i18n.EN, "English", "Read this page in English"
	if st.lang == i18n.EN {
		v.OtherLang, v.OtherLangName, v.OtherLangLabel = i18n.FR, "Français", "Lire cette page en français"
	}
	if s := st.session; s != nil {
		v.Account, v.Role, v.CSRF = s.Account.Name, roleWord(st.lang, s.Account.Role), CSRFField(r)
		if st.h != nil {
			for _, sec := range st.h.sections {
				if hasRole(s.Account.Role, sec.Roles) {
					v.Nav = append(v.Nav, navItem{Path: sec.Path, Name: t(st.lang, sec.Key),
						Current: r.URL.Path == sec.Path || strings.HasPrefix(r.URL.Path, sec.Path+"/")})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := layout.Execute(&buf, v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// render executes a page template into HTML for Page.
func render(tmpl *template.Template, v any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// errorPage is a page that says what went wrong in a sentence.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, titleKey, text string) {
	lang := Lang(r)
	body, _ := render(messagePage, map[string]string{"Text": text, "Home": t(lang, "web.back_home")})
	PageStatus(w, r, status, t(lang, titleKey), body)
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Warn("page", "what", what, "path", r.URL.Path, "err", err.Error())
	h.errorPage(w, r, http.StatusInternalServerError, "web.error.title", t(Lang(r), "web.error.text"))
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	r = withState(r, &state{h: h, lang: langOf(w, r)})
	h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(Lang(r), "web.notfound.text"))
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	var items []navItem
	for _, sec := range h.sections {
		if hasRole(st.session.Account.Role, sec.Roles) {
			items = append(items, navItem{Path: sec.Path, Name: t(st.lang, sec.Key+".desc")})
		}
	}
	body, err := render(homePage, map[string]any{
		"Hello": t(st.lang, "web.home.hello", st.session.Account.Name, roleWord(st.lang, st.session.Account.Role)),
		"Items": items, "None": t(st.lang, "web.home.none"),
	})
	if err != nil {
		h.serverError(w, r, "home", err)
		return
	}
	Page(w, r, t(st.lang, "web.home.title"), body)
}
