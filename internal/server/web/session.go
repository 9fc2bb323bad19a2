package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"relais/internal/server/db"
)

// Cookie names. __Host- makes the browser refuse it without Secure, with a
// Domain or another Path: only over TLS.
const (
	cookieTLS        = "__Host-relais_session"
	cookiePlain      = "relais_session"
	loginCookieTLS   = "__Host-relais_login"
	loginCookiePlain = "relais_login"
)

// Sign-in throttle: attempts per minute.
const (
	attemptsPerAccount = 5
	attemptsPerSource  = 10
	throttleWindow     = time.Minute
	throttleKeys       = 10000 // forgotten beyond: a flood must not fill memory
)

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

func (h *Handler) cookieName() string {
	if h.tls {
		return cookieTLS
	}
	return cookiePlain
}

func (h *Handler) loginCookieName() string {
	if h.tls {
		return loginCookieTLS
	}
	return loginCookiePlain
}

// randomToken is 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(id string) string {
	s := sha256.Sum256([]byte(id))
	return hex.EncodeToString(s[:])
}

// session is the request's valid session and the hash of its id, or nil.
// An expired one is deleted.
func (h *Handler) session(r *http.Request) (*db.Session, string) {
	c, err := r.Cookie(h.cookieName())
	if err != nil || len(c.Value) != 43 {
		return nil, ""
	}
	id := hashID(c.Value)
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	defer cancel()
	s, err := h.db.SessionByHash(ctx, id)
	if err != nil {
		if !errors.Is(err, db.ErrNoSession) {
			h.log.Warn("session", "err", err.Error())
		}
		return nil, ""
	}
	now := h.now()
	if !now.Before(s.Expires) || now.Sub(s.LastSeen) >= IdleTimeout {
		h.db.DeleteSession(ctx, id)
		return nil, ""
	}
	return &s, id
}

// touch records the session's use, at most once a minute.
func (h *Handler) touch(ctx context.Context, s *db.Session, id string) {
	if h.now().Sub(s.LastSeen) < touchEvery {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	if err := h.db.TouchSession(ctx, id); err != nil {
		h.log.Warn("session", "err", err.Error())
	}
}

// sameSite runs net/http's cross-origin protection: a POST from another
// site (Sec-Fetch-Site, or Origin against Host) is refused.
func (h *Handler) sameSite(w http.ResponseWriter, r *http.Request) bool {
	if err := h.cop.Check(r); err != nil {
		h.log.Info("cross-origin", "path", r.URL.Path, "source", sourceOf(r).String())
		h.errorPage(w, r, http.StatusForbidden, "web.csrf.title", t(Lang(r), "web.csrf.text"))
		return false
	}
	return true
}

// checkCSRF refuses a POST without the session's token or from another
// site, with a 403 page in words.
func (h *Handler) checkCSRF(w http.ResponseWriter, r *http.Request, s *db.Session) bool {
	if !h.sameSite(w, r) {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	got := r.PostFormValue("csrf")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
		h.log.Info("csrf", "account", s.Account.Name, "path", r.URL.Path)
		h.errorPage(w, r, http.StatusForbidden, "web.csrf.title", t(Lang(r), "web.csrf.text"))
		return false
	}
	return true
}

func sourceOf(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// throttle counts sign-in attempts per key within a sliding minute.
type throttle struct {
	mu   sync.Mutex
	now  func() time.Time
	hits map[string][]time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, hits: map[string][]time.Time{}}
}

// allow records an attempt under key and says whether it is within limit.
func (t *throttle) allow(key string, limit int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.hits) >= throttleKeys {
		for k, v := range t.hits {
			if len(v) == 0 || now.Sub(v[len(v)-1]) >= throttleWindow {
				delete(t.hits, k)
			}
		}
		if len(t.hits) >= throttleKeys {
			t.hits = map[string][]time.Time{}
		}
	}
	recent := t.hits[key][:0]
	for _, at := range t.hits[key] {
		if now.Sub(at) < throttleWindow {
			recent = append(recent, at)
		}
	}
	if len(recent) >= limit {
		t.hits[key] = recent
		return false
	}
	t.hits[key] = append(recent, now)
	return true
}

type loginView struct {
	T                 func(string, ...any) string
	Token, Next, Name string
	Error             string
	Action            string
}

// localPath is next when it is a path of this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\\\r\n") || len(next) > 500 {
		return PathHome
	}
	return next
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	r = withState(r, &state{h: h, lang: langOf(w, r)})
	if s, _ := h.session(r); s != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.showLogin(w, r, http.StatusOK, localPath(r.URL.Query().Get("next")), "", "")
}

// showLogin writes the sign-in form with a fresh pre-session token (a
// cookie the form's hidden field must match).
func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, next, name, errText string) {
	lang := Lang(r)
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: h.loginCookieName(), Value: tok, Path: "/", MaxAge: 3600,
		HttpOnly: true, Secure: h.tls, SameSite: http.SameSiteStrictMode})
	body, err := render(loginPage, loginView{T: func(k string, a ...any) string { return t(lang, k, a...) },
		Token: tok, Next: next, Name: name, Error: errText, Action: PathLogin})
	if err != nil {
		h.serverError(w, r, "login", err)
		return
	}
	PageStatus(w, r, status, t(lang, "web.login.title"), body)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r = withState(r, &state{h: h, lang: langOf(w, r)})
	lang := Lang(r)
	if !h.sameSite(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	c, err := r.Cookie(h.loginCookieName())
	if form := r.PostFormValue("csrf"); err != nil || form == "" || subtle.ConstantTimeCompare([]byte(form), []byte(c.Value)) != 1 {
		h.log.Info("csrf", "path", r.URL.Path, "source", sourceOf(r).String())
		h.errorPage(w, r, http.StatusForbidden, "web.csrf.title", t(lang, "web.csrf.text"))
		return
	}
	src := sourceOf(r).String()
	shownName := name
	if !db.ValidAccountName(name) {
		shownName = ""
	}
	if !h.throttle.allow("source:"+src, attemptsPerSource) || !h.throttle.allow("account:"+strings.ToLower(name), attemptsPerAccount) {
		h.log.Info("sign-in throttled", "account", shownName, "source", src)
		w.Header().Set("Retry-After", "60")
		h.showLogin(w, r, http.StatusTooManyRequests, next, shownName, t(lang, "web.login.throttled"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	defer cancel()
	acct, hash, err := h.db.AccountForLogin(ctx, name)
	switch {
	case errors.Is(err, db.ErrNoAccount) || !db.ValidAccountName(name):
		db.DummyCheck(password) // as slow as a wrong password
		h.log.Info("sign-in refused", "account", shownName, "source", src, "reason", "unknown account")
		h.showLogin(w, r, http.StatusUnauthorized, next, shownName, t(lang, "web.login.wrong"))
		return
	case err != nil:
		h.serverError(w, r, "login", err)
		return
	case !db.CheckPassword(hash, password):
		h.log.Info("sign-in refused", "account", acct.Name, "source", src, "reason", "wrong password")
		h.showLogin(w, r, http.StatusUnauthorized, next, shownName, t(lang, "web.login.wrong"))
		return
	}
	id := randomToken()
	if err := h.db.CreateSession(ctx, hashID(id), acct.ID, randomToken(), h.now().Add(AbsoluteTimeout)); err != nil {
		h.serverError(w, r, "login", err)
		return
	}
	h.db.DeleteStaleSessions(ctx, h.now().Add(-IdleTimeout))
	h.log.Info("signed in", "account", acct.Name, "role", string(acct.Role), "source", src)
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: h.tls,
		SameSite: http.SameSiteLaxMode, MaxAge: int(AbsoluteTimeout.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: h.loginCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.tls})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(h.cookieName()); err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
		defer cancel()
		if err := h.db.DeleteSession(ctx, hashID(c.Value)); err != nil {
			h.serverError(w, r, "logout", err)
			return
		}
	}
	if a := Account(r); a != nil {
		h.log.Info("signed out", "account", a.Name)
	}
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.tls, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, PathLogin, http.StatusSeeOther)
}
