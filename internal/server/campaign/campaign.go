// Package campaign is the Campagne page of `relais serve`: what the
// continuity team brings to a drill's debrief. GET /campagnes lists the
// drills that have reports; GET /campagnes/{drill-id} shows who took part,
// completion, the distribution of the time to operational against the RTO
// (an inline SVG chart, its numbers also in a table), the steps most
// failed or skipped with their reasons, the apps that failed and every
// feedback text (in pages); GET /campagnes/{drill-id}.csv exports the
// reports for a spreadsheet (internal/drills' table: UTF-8 with a BOM,
// ";", formula-safe cells).
//
// Every figure comes from SQL aggregates (db.Campaign), never from a loop
// over the reports. Pages are server-rendered (html/template), without
// JavaScript, in French or English; the handler renders the body only and
// hands it to Options.Page, so that the server's layout (login, roles)
// wraps it. Reports carry no service: the page cannot break participation
// down by service, and says so.
package campaign

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"relais/internal/i18n"
	"relais/internal/server/db"
)

// Path is where the pages are served.
const Path = "/campagnes"

// Timeouts.
const (
	pageTimeout = 20 * time.Second // one page's queries
	csvTimeout  = 10 * time.Minute // a CSV export of every report
	// FeedbackPage is how many feedback texts a page shows.
	FeedbackPage = 50
)

// Options are the handler's surroundings.
type Options struct {
	// Page writes a whole page around body (the layout, the language's
	// links, the account). nil: DefaultPage.
	Page func(w http.ResponseWriter, r *http.Request, title string, body template.HTML)
	// Lang is the reader's language, "fr" or "en". nil: RequestLang.
	Lang func(*http.Request) string
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Location is the time zone of the times shown; nil: time.Local.
	Location *time.Location
}

// handler serves the pages.
type handler struct {
	db  *db.DB
	o   Options
	mux *http.ServeMux
}

// Handler returns the pages' handler, to be mounted at Path and Path+"/".
func Handler(d *db.DB, o Options) http.Handler {
	if o.Lang == nil {
		o.Lang = RequestLang
	}
	if o.Page == nil {
		o.Page = func(w http.ResponseWriter, r *http.Request, title string, body template.HTML) {
			DefaultPage(w, r, o.Lang(r), title, body)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	h := &handler{db: d, o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Path, h.list)
	h.mux.HandleFunc("GET "+Path+"/{$}", h.list)
	h.mux.HandleFunc("GET "+Path+"/{id}", h.drill)
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
		tag = strings.ToLower(tag)
		var l string
		switch {
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

// view is what a page's template reads: words in its language.
type view struct {
	Lang  string
	loc   *time.Location
	query url.Values // the language link's, kept in the page's links
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

// Plural is the plural form of key for n, with n written in the page's
// language as its argument.
func (v view) Plural(key string, n int64) string {
	return i18n.N(v.Lang, key, int(min(n, 1<<31)), v.Num(n))
}

// Num is n with the language's digit grouping.
func (v view) Num(n int64) string { return i18n.Integer(v.Lang, int(n)) }

// Pct is part of whole as a percentage, "42 %" or "42%"; "—" of nothing.
func (v view) Pct(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return v.T("campaign.percent", i18n.Decimal(v.Lang, float64(part)*100/float64(whole), 0))
}

// maxShown is the longest duration written as such (about 11 years).
const maxShown = int64(100_000 * time.Hour / time.Millisecond)

// Dur is a duration of ms milliseconds in words: "1 h 5 min".
func (v view) Dur(ms int64) string {
	switch {
	case ms >= maxShown:
		return v.T("campaign.over", i18n.Duration(v.Lang, time.Duration(maxShown)*time.Millisecond))
	case ms < 0:
		return v.T("campaign.negative")
	}
	return i18n.Duration(v.Lang, time.Duration(ms)*time.Millisecond)
}

// Date is a moment as the reader writes it, to the minute, in the
// server's time zone (i18n.DateTime: one way on every page).
func (v view) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return i18n.DateTime(v.Lang, t.In(v.loc))
}

// ISO is t as a machine reads it, for <time datetime>.
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

// DrillLink is the page of a drill.
func (v view) DrillLink(id string, extra ...string) string {
	return v.Link(Path+"/"+url.PathEscape(id), extra...)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, lang string, status int, key string) {
	w.WriteHeader(status)
	v := newView(r, lang, h.o.Location)
	body, err := render("error", struct {
		view
		Message string
	}{v, v.T(key)})
	if err != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	h.o.Page(w, r, v.T("campaign.error_title"), body)
}

type listView struct {
	view
	Drills []db.DrillSummary
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Normalize(h.o.Lang(r))
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	drills, err := h.db.Drills(ctx)
	if err != nil {
		h.fail(w, r, lang, http.StatusServiceUnavailable, "campaign.unavailable")
		return
	}
	v := listView{view: newView(r, lang, h.o.Location), Drills: drills}
	body, err := render("list", v)
	if err != nil {
		h.fail(w, r, lang, http.StatusInternalServerError, "campaign.unavailable")
		return
	}
	h.o.Page(w, r, v.T("campaign.list_title"), body)
}

func (h *handler) drill(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Normalize(h.o.Lang(r))
	id := r.PathValue("id")
	if csvID, ok := strings.CutSuffix(id, ".csv"); ok {
		h.csv(w, r, lang, csvID)
		return
	}
	var before int64
	if s := r.URL.Query().Get("avant"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			h.fail(w, r, lang, http.StatusBadRequest, "campaign.bad_page")
			return
		}
		before = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
	defer cancel()
	c, err := h.db.Campaign(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		h.fail(w, r, lang, http.StatusNotFound, "campaign.not_found")
		return
	}
	if err != nil {
		h.fail(w, r, lang, http.StatusServiceUnavailable, "campaign.unavailable")
		return
	}
	fb, more, err := h.db.Feedback(ctx, id, before, FeedbackPage)
	if err != nil {
		h.fail(w, r, lang, http.StatusServiceUnavailable, "campaign.unavailable")
		return
	}
	v := drillView(newView(r, lang, h.o.Location), c, fb, more, before > 0)
	body, err := render("drill", v)
	if err != nil {
		h.fail(w, r, lang, http.StatusInternalServerError, "campaign.unavailable")
		return
	}
	h.o.Page(w, r, v.Title, body)
}
