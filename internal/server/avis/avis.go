// Package avis is the crisis notices side of `relais serve`: the Avis page,
// where the continuity team writes a notice (French and English, a level,
// from/until in the server's local time) or a maintenance window on an
// app, lists the current and scheduled ones and ends one now; and the
// public endpoint (PathDocument, PathSignature) every laptop fetches.
//
// Each change makes a new document — serial previous + 1, issued now,
// carrying only the items neither ended nor over — checked with
// notices.Parse, signed with the notice key (notice_key_file: a minisign
// secret key) and stored with its signature in the same transaction as the
// change (db.AddNoticeItem, db.EndNoticeItem). Without a notice key the
// page says how to configure one and the endpoint answers 404.
//
// The page is server-rendered (html/template), works without JavaScript,
// in French or English. The handler renders the body and hands it to
// Options.Page; the server's layout wraps it behind the login, the role
// check (continuity) and CSRF, which Options.CSRFField puts in each form.
package avis

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"relais/internal/i18n"
	"relais/internal/notices"
	"relais/internal/server/api"
	"relais/internal/server/db"
)

// Path is where the page is served; forms post under it.
const Path = "/avis"

// pageTimeout bounds one request's database work.
const pageTimeout = 15 * time.Second

// Options are the handler's surroundings.
type Options struct {
	// Page writes a whole page around body (layout, account, language
	// links). nil: DefaultPage.
	Page func(w http.ResponseWriter, r *http.Request, title string, body template.HTML)
	// Lang is the reader's language, "fr" or "en". nil: RequestLang.
	Lang func(*http.Request) string
	// CSRFField is the hidden field each form carries. nil: none.
	CSRFField func(*http.Request) template.HTML
	// Actor names who is signed in, stored with what they publish. nil: "".
	Actor func(*http.Request) string
	// Now is the clock of the checks and lists; nil: time.Now.
	Now func() time.Time
	// Location is the server's time zone, of the times typed and shown;
	// nil: time.Local.
	Location *time.Location
	// Logger: nil discards. It never receives a text.
	Logger *slog.Logger
}

type handler struct {
	db     *db.DB
	signer *Signer // nil: no notice key configured
	o      Options
	mux    *http.ServeMux
}

// Handler returns the page's handler, to be mounted at Path and Path+"/".
// signer is nil when the server has no notice key.
func Handler(d *db.DB, signer *Signer, o Options) http.Handler {
	if o.Lang == nil {
		o.Lang = RequestLang
	}
	if o.Page == nil {
		o.Page = func(w http.ResponseWriter, r *http.Request, title string, body template.HTML) {
			DefaultPage(w, r, o.Lang(r), title, body)
		}
	}
	if o.CSRFField == nil {
		o.CSRFField = func(*http.Request) template.HTML { return "" }
	}
	if o.Actor == nil {
		o.Actor = func(*http.Request) string { return "" }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{db: d, signer: signer, o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Path, h.show)
	h.mux.HandleFunc("GET "+Path+"/{$}", h.show)
	h.mux.HandleFunc("POST "+Path+"/avis", h.add(db.KindNotice))
	h.mux.HandleFunc("POST "+Path+"/maintenance", h.add(db.KindWindow))
	h.mux.HandleFunc("POST "+Path+"/{id}/terminer", h.end)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// RequestLang is the reader's language: ?lang=, then the "lang" cookie,
// then Accept-Language (the first of French and English by weight), then
// French.
func RequestLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == i18n.FR || l == i18n.EN {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == i18n.FR || c.Value == i18n.EN) {
		return c.Value
	}
	best, bestQ := i18n.FR, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		var l string
		switch tag = strings.ToLower(tag); {
		case strings.HasPrefix(tag, "fr"):
			l = i18n.FR
		case strings.HasPrefix(tag, "en"):
			l = i18n.EN
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// view is what the template reads: words in the page's language.
type view struct {
	Lang  string
	loc   *time.Location
	query url.Values // the ?lang= link's, kept in the page's links
}

func newView(r *http.Request, lang string, loc *time.Location) view {
	q := url.Values{}
	if l := r.URL.Query().Get("lang"); l == i18n.FR || l == i18n.EN {
		q.Set("lang", l)
	}
	return view{Lang: lang, loc: loc, query: q}
}

// T is the message key in the page's language.
func (v view) T(key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

// Num is n with the language's digit grouping.
func (v view) Num(n int64) string { return i18n.Integer(v.Lang, int(n)) }

// Date is a moment as the reader writes it, to the minute, in the
// server's time zone (i18n.DateTime: one way on every page).
func (v view) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return i18n.DateTime(v.Lang, t.In(v.loc))
}

// ISO is t for <time datetime>.
func (v view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Link is path with the page's language link kept.
func (v view) Link(path string, extra ...string) string {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// EndLink is where the "end now" button of item id posts.
func (v view) EndLink(id int64) string {
	return v.Link(Path + "/" + strconv.FormatInt(id, 10) + "/terminer")
}

// zone names the server's time zone for the reader: its name when it has
// one, and its offset from UTC now ("Europe/Paris, UTC+01:00").
func zone(loc *time.Location, now time.Time) string {
	_, off := now.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
	if n := loc.String(); n != "" && n != "Local" && n != "UTC" {
		s = n + ", " + s
	}
	return s
}

// itemView is one notice or window as the page lists it.
type itemView struct {
	db.NoticeItem
	NoticeID   string
	LevelWord  string
	LevelClass string
	Scheduled  bool
}

type pageView struct {
	view
	Configured   bool
	PublicKey    string
	DocumentURL  string
	Zone         string
	CSRF         template.HTML
	Flash        string
	Unavailable  bool
	Latest       *db.NoticeDocument
	Current      []itemView
	Scheduled    []itemView
	Notice       *form
	Window       *form
	NoticeMax    int64
	ErrorsFirst  string // "notice" or "window": the form whose errors are shown
	EndError     string
	LevelOptions []levelOption
}

type levelOption struct {
	Value, Word, Hint string
}

// documentURL is the public document's address on this server, as the
// profile's [notices] url names it.
func documentURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: PathDocument}).String()
}

// render writes the page with its lists, the forms as given (nil: empty)
// and status.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, nf, wf *form, flash, endErr string) {
	lang := i18n.Normalize(h.o.Lang(r))
	now := h.o.Now()
	v := pageView{view: newView(r, lang, h.o.Location), Configured: h.signer != nil, Zone: zone(h.o.Location, now),
		CSRF: h.o.CSRFField(r), Flash: flash, Notice: nf, Window: wf, NoticeMax: notices.MaxText, EndError: endErr}
	if v.Notice == nil {
		v.Notice = &form{Kind: db.KindNotice, Level: string(notices.Info), lang: lang}
	}
	if v.Window == nil {
		v.Window = &form{Kind: db.KindWindow, lang: lang}
	}
	for _, l := range []notices.Level{notices.Info, notices.Warning, notices.Crisis} {
		v.LevelOptions = append(v.LevelOptions, levelOption{Value: string(l), Word: v.T("avis.level." + string(l)),
			Hint: v.T("avis.level." + string(l) + ".hint")})
	}
	if h.signer != nil {
		v.PublicKey = h.signer.PublicKeyText()
		v.DocumentURL = documentURL(r)
		ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
		defer cancel()
		items, err := h.db.OpenNoticeItems(ctx, now)
		if err == nil {
			var latest db.NoticeDocument
			latest, err = h.db.LatestNoticeDocument(ctx)
			if err == nil {
				v.Latest = &latest
			} else if errors.Is(err, db.ErrNotFound) {
				err = nil
			}
		}
		if err != nil {
			h.o.Logger.Warn("avis", "err", err.Error())
			v.Unavailable = true
			if status == http.StatusOK {
				status = http.StatusServiceUnavailable
			}
		}
		for _, it := range items {
			iv := itemView{NoticeItem: it, Scheduled: !it.From.IsZero() && it.From.After(now)}
			if it.Kind == db.KindNotice {
				iv.NoticeID = NoticeID(it.ID)
				iv.LevelWord, iv.LevelClass = v.T("avis.level."+it.Level), "avis-"+it.Level
			}
			if iv.Scheduled {
				v.Scheduled = append(v.Scheduled, iv)
			} else {
				v.Current = append(v.Current, iv)
			}
		}
		rank := map[string]int{string(notices.Crisis): 0, string(notices.Warning): 1, string(notices.Info): 2, "": 3}
		slices.SortStableFunc(v.Current, func(a, b itemView) int { return rank[a.Level] - rank[b.Level] })
		slices.SortStableFunc(v.Scheduled, func(a, b itemView) int { return a.From.Compare(b.From) })
	}
	body, err := render("page", v)
	if err != nil {
		h.o.Logger.Error("avis: template", "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.o.Page(api.WithStatus(w, status), r, v.T("avis.title"), body)
}

func (h *handler) show(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Normalize(h.o.Lang(r))
	var flash string
	q := r.URL.Query()
	if n, err := strconv.ParseInt(q.Get("publie"), 10, 64); err == nil && n > 0 {
		flash = i18n.T(lang, "avis.published", i18n.Integer(lang, int(n)))
	} else if n, err := strconv.ParseInt(q.Get("termine"), 10, 64); err == nil && n > 0 {
		flash = i18n.T(lang, "avis.ended", i18n.Integer(lang, int(n)))
	}
	h.render(w, r, http.StatusOK, nil, nil, flash, "")
}

// done sends the browser back to the page (POST, redirect, GET), saying
// which document was published.
func (h *handler) done(w http.ResponseWriter, r *http.Request, key string, serial int64) {
	v := newView(r, "", h.o.Location)
	http.Redirect(w, r, v.Link(Path, key, strconv.FormatInt(serial, 10)), http.StatusSeeOther)
}

func (h *handler) add(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := i18n.Normalize(h.o.Lang(r))
		f, err := readForm(w, r, kind, lang)
		show := func(status int) {
			if kind == db.KindNotice {
				h.render(w, r, status, f, nil, "", "")
			} else {
				h.render(w, r, status, nil, f, "", "")
			}
		}
		if err != nil {
			show(http.StatusBadRequest)
			return
		}
		if h.signer == nil {
			f.fail("", "avis.err.not_configured")
			show(http.StatusConflict)
			return
		}
		it, ok := f.validate(h.o.Now(), h.o.Location)
		if !ok {
			show(http.StatusUnprocessableEntity)
			return
		}
		it.CreatedBy = h.o.Actor(r)
		ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
		defer cancel()
		doc, err := h.db.AddNoticeItem(ctx, it, h.signer.Build)
		if err != nil {
			h.o.Logger.Warn("avis: not published", "kind", kind, "code", notices.Code(err), "err", errText(err))
			f.refusal(err)
			status := http.StatusUnprocessableEntity
			if notices.Code(err) == "" {
				status = http.StatusServiceUnavailable
			}
			show(status)
			return
		}
		h.o.Logger.Info("avis: published", "kind", kind, "serial", doc.Serial, "by", it.CreatedBy)
		h.done(w, r, "publie", doc.Serial)
	}
}

func (h *handler) end(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Normalize(h.o.Lang(r))
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.render(w, r, http.StatusNotFound, nil, nil, "", i18n.T(lang, "avis.err.already_ended"))
		return
	}
	if h.signer == nil {
		h.render(w, r, http.StatusConflict, nil, nil, "", i18n.T(lang, "avis.err.not_configured"))
		return
	}
	actor := h.o.Actor(r)
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	doc, err := h.db.EndNoticeItem(ctx, id, actor, h.signer.Build)
	switch {
	case errors.Is(err, db.ErrNoticeEnded):
		h.render(w, r, http.StatusConflict, nil, nil, "", i18n.T(lang, "avis.err.already_ended"))
		return
	case err != nil:
		h.o.Logger.Warn("avis: not ended", "id", id, "code", notices.Code(err), "err", errText(err))
		f := &form{lang: lang}
		f.refusal(err)
		h.render(w, r, http.StatusServiceUnavailable, nil, nil, "", f.Errors[0].Message)
		return
	}
	h.o.Logger.Info("avis: ended", "id", id, "serial", doc.Serial, "by", actor)
	h.done(w, r, "termine", doc.Serial)
}

// errText is err for a log: a notices refusal's detail names where in the
// document, never the text.
func errText(err error) string {
	var ne *notices.Error
	if errors.As(err, &ne) {
		return ne.Code
	}
	return err.Error()
}
