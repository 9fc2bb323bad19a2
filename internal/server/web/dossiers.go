package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"relais/internal/server/db"
)

// openBudget bounds how many unknown verdicts one visit of /dossiers
// opens (the rest stay "not known" until a later visit).
const openBudget = 10

type inboxRow struct {
	Code, Link, Received, Size, TakenBy, Status, StatusClass string
	Essential                                                bool
}

type inboxView struct {
	T          func(string, ...any) string
	Typed      string
	CodeError  string
	Rows       []inboxRow
	Counts     string
	Empty      bool
	More       string
	CanOpen    bool
	FieldError bool
}

func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) {
	lang := Lang(r)
	v := inboxView{T: func(k string, a ...any) string { return t(lang, k, a...) }, CanOpen: len(h.ids) > 0}
	status := http.StatusOK
	if typed, asked := r.URL.Query()["code"]; asked {
		v.Typed = typed[0]
		code, problem := NormalizeCaseCode(v.Typed)
		if problem == nil {
			ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
			_, err := h.db.Bundle(ctx, code)
			cancel()
			switch {
			case err == nil:
				http.Redirect(w, r, PathDossiers+"/"+code, http.StatusSeeOther)
				return
			case errors.Is(err, db.ErrNotFound):
				v.CodeError = t(lang, "web.code.unknown", code)
			default:
				h.serverError(w, r, "inbox", err)
				return
			}
		} else {
			v.CodeError = problem.text(lang)
		}
		status = http.StatusNotFound
		if problem != nil {
			status = http.StatusBadRequest
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	defer cancel()
	list, counts, err := h.db.Inbox(ctx, inboxShown)
	if err != nil {
		h.serverError(w, r, "inbox", err)
		return
	}
	opened := 0
	for i := range list {
		b := &list[i]
		if b.EssentialFailing == nil && len(h.ids) > 0 && opened < openBudget && b.Resolved.IsZero() {
			opened++
			h.learnVerdict(ctx, b)
		}
		v.Rows = append(v.Rows, h.row(lang, *b))
	}
	v.Empty = len(list) == 0
	v.Counts = t(lang, "web.inbox.counts", counts.Untaken, counts.Taken, counts.Resolved)
	if total := counts.Untaken + counts.Taken + counts.Resolved; total > int64(len(list)) {
		v.More = t(lang, "web.inbox.more", len(list), total)
	}
	body, err := render(inboxPage, v)
	if err != nil {
		h.serverError(w, r, "inbox", err)
		return
	}
	PageStatus(w, r, status, t(lang, "web.inbox.title"), body)
}

func (h *Handler) row(lang string, b db.BundleInfo) inboxRow {
	row := inboxRow{Code: b.CaseCode, Link: PathDossiers + "/" + b.CaseCode, Received: formatTime(lang, b.Received),
		Size: formatSize(lang, b.Size), TakenBy: b.TakenBy, Essential: b.EssentialFailing != nil && *b.EssentialFailing}
	switch {
	case !b.Resolved.IsZero():
		row.Status, row.StatusClass = t(lang, "web.status.resolved"), "good"
	case b.TakenBy != "":
		row.Status, row.StatusClass = t(lang, "web.status.taken"), "warn"
	default:
		row.Status, row.StatusClass = t(lang, "web.status.new"), "new"
	}
	if row.TakenBy == "" {
		row.TakenBy = "—"
	}
	return row
}

// learnVerdict opens a bundle to record whether an essential app fails.
func (h *Handler) learnVerdict(ctx context.Context, b *db.BundleInfo) {
	body, err := h.db.BundleBody(ctx, b.CaseCode)
	if err != nil {
		return
	}
	opened, err := openBundle(bytes.NewReader(body), h.ids)
	if err != nil {
		return
	}
	if failing, ok := essentialFailing(opened); ok {
		if h.db.SetEssentialFailing(ctx, b.CaseCode, failing) == nil {
			b.EssentialFailing = &failing
		}
	}
}

type noteView struct {
	Author, When, Body string
}

type dossierView struct {
	T                      func(string, ...any) string
	Code, Base             string
	Received, Size, Status string
	Taken, Resolved        string
	Essential              bool
	TakenByMe, IsResolved  bool
	CanAct                 bool
	CSRF                   template.HTML
	Verdict, Details       template.HTML
	NoSummary, OpenError   string
	Download, FileName     string
	Command                string
	Notes                  []noteView
	NoteError, NoteText    string
	MaxNote                int
}

func (h *Handler) dossier(w http.ResponseWriter, r *http.Request) {
	h.showDossier(w, r, http.StatusOK, "", "")
}

func (h *Handler) showDossier(w http.ResponseWriter, r *http.Request, status int, noteError, noteText string) {
	lang := Lang(r)
	code, problem := NormalizeCaseCode(r.PathValue("code"))
	if problem != nil {
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", problem.text(lang))
		return
	}
	if code != r.PathValue("code") {
		http.Redirect(w, r, PathDossiers+"/"+code, http.StatusSeeOther)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	defer cancel()
	b, err := h.db.Bundle(ctx, code)
	if errors.Is(err, db.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(lang, "web.code.unknown", code))
		return
	}
	if err != nil {
		h.serverError(w, r, "dossier", err)
		return
	}
	acct := Account(r)
	v := dossierView{T: func(k string, a ...any) string { return t(lang, k, a...) }, Code: code, Base: PathDossiers + "/" + code,
		Received: formatTime(lang, b.Received), Size: formatSize(lang, b.Size), CSRF: CSRFField(r),
		CanAct: acct.Role == db.RoleHelpdesk, TakenByMe: b.TakenBy == acct.Name, IsResolved: !b.Resolved.IsZero(),
		NoteError: noteError, NoteText: noteText, MaxNote: db.MaxNote}
	row := h.row(lang, b)
	v.Status = row.Status
	if b.TakenBy != "" {
		v.Taken = t(lang, "web.dossier.taken_by", b.TakenBy, formatTime(lang, b.TakenAt))
	}
	if v.IsResolved {
		v.Resolved = t(lang, "web.dossier.resolved_by", b.ResolvedBy, formatTime(lang, b.Resolved))
	}
	body, err := h.db.BundleBody(ctx, code)
	if err != nil {
		h.serverError(w, r, "dossier", err)
		return
	}
	v.FileName = fileName(code, isEncrypted(body))
	v.Download = v.Base + "/bundle"
	v.Command = "relais diag open " + v.FileName
	switch opened, err := openBundle(bytes.NewReader(body), h.ids); {
	case err == nil:
		frag, ferr := summaryFragment(opened, lang)
		if ferr != nil {
			h.serverError(w, r, "summary", ferr)
			return
		}
		verdict, details, _ := strings.Cut(frag, `<div class="details">`)
		v.Verdict = template.HTML(verdict)
		if details != "" {
			v.Details = template.HTML(`<div class="details">` + details)
		}
		if failing, ok := essentialFailing(opened); ok {
			v.Essential = failing
			if b.EssentialFailing == nil || *b.EssentialFailing != failing {
				h.db.SetEssentialFailing(ctx, code, failing)
			}
		}
	case errors.Is(err, errEncrypted) && len(h.ids) == 0:
		v.NoSummary = t(lang, "web.dossier.no_identity")
	case errors.Is(err, errEncrypted):
		v.NoSummary = t(lang, "web.dossier.other_key")
	default:
		h.log.Info("bundle does not open", "case", code, "err", err.Error())
		v.NoSummary = t(lang, "web.dossier.damaged")
		v.OpenError = cleanText(err.Error())
	}
	notes, err := h.db.Notes(ctx, code)
	if err != nil {
		h.serverError(w, r, "dossier", err)
		return
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, noteView{Author: n.Author, When: formatTime(lang, n.Created), Body: cleanText(n.Body)})
	}
	page, err := render(dossierPage, v)
	if err != nil {
		h.serverError(w, r, "dossier", err)
		return
	}
	PageStatus(w, r, status, t(lang, "web.dossier.title", code), page)
}

// fileName is what `relais diag export` names the bundle.
func fileName(code string, encrypted bool) string {
	name := "relais-diag-" + code + ".zip"
	if encrypted {
		name += ".age"
	}
	return name
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	code, problem := NormalizeCaseCode(r.PathValue("code"))
	if problem != nil || code != r.PathValue("code") {
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(Lang(r), "web.notfound.text"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	defer cancel()
	body, err := h.db.BundleBody(ctx, code)
	if errors.Is(err, db.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(Lang(r), "web.code.unknown", code))
		return
	}
	if err != nil {
		h.serverError(w, r, "download", err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(code, isEncrypted(body))+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	h.log.Info("bundle downloaded", "case", code, "account", Account(r).Name)
	w.Write(body)
}

// act runs a POST action on a bundle: prendre, note, resolu, rouvrir.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	lang := Lang(r)
	code := r.PathValue("code")
	if c, problem := NormalizeCaseCode(code); problem != nil || c != code {
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(lang, "web.notfound.text"))
		return
	}
	acct := Account(r)
	ctx, cancel := context.WithTimeout(r.Context(), dbTimeout)
	defer cancel()
	var err error
	switch r.PathValue("action") {
	case "prendre":
		err = h.db.TakeBundle(ctx, code, acct.Name)
	case "resolu":
		err = h.db.ResolveBundle(ctx, code, acct.Name)
	case "rouvrir":
		err = h.db.ReopenBundle(ctx, code)
	case "note":
		text := r.PostFormValue("note")
		err = h.db.AddNote(ctx, code, acct.Name, text)
		if errors.Is(err, db.ErrNote) {
			h.showDossier(w, r, http.StatusBadRequest, t(lang, "web.note.invalid", db.MaxNote), text)
			return
		}
	default:
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(lang, "web.notfound.text"))
		return
	}
	if errors.Is(err, db.ErrNotFound) {
		h.errorPage(w, r, http.StatusNotFound, "web.notfound.title", t(lang, "web.code.unknown", code))
		return
	}
	if err != nil {
		h.serverError(w, r, "action", err)
		return
	}
	h.log.Info("dossier", "case", code, "action", r.PathValue("action"), "account", acct.Name)
	target := PathDossiers + "/" + code
	if q := r.URL.Query().Get("lang"); q != "" {
		target += "?lang=" + url.QueryEscape(q)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
