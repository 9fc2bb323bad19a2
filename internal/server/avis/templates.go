package avis

import (
	"bytes"
	"html/template"
	"net/http"

	"relais/internal/i18n"
	"relais/internal/server/db"
)

// css styles the page's body (class names start with avis-): no outside
// resource; text contrast at least 4.5:1 on its background.
const css = template.CSS(`.avis{color:#1b1b1b;line-height:1.45;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.avis h1{font-size:1.6rem;margin:.2rem 0}.avis h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #c8c8c8}
.avis h3{font-size:1rem;margin:.2rem 0}.avis a{color:#0b57a4}
.avis a:focus-visible,.avis button:focus-visible,.avis input:focus-visible,.avis textarea:focus-visible{outline:3px solid #0b57a4;outline-offset:2px}
.avis-lead,.avis-note{color:#4a4a4a}.avis-note{font-size:.9rem;margin:.2rem 0}
.avis-flash{border-left:6px solid #2e7d32;background:#edf7ed;padding:.6rem .9rem}
.avis-errors,.avis-error{border-left:6px solid #b3261e;background:#fdecea;padding:.6rem .9rem}.avis-errors ul{margin:.3rem 0 0}
.avis-errors a{color:#8c1d18}.avis-field-error{color:#8c1d18;font-weight:600;margin:.2rem 0}
.avis-list{list-style:none;padding:0;margin:.5rem 0}
.avis-item{border:1px solid #c8c8c8;border-left:8px solid #0b57a4;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
.avis-item.avis-warning{border-left-color:#8a5a00}.avis-item.avis-crisis{border-left-color:#b3261e}.avis-item.avis-window{border-left-color:#4a4a4a}
.avis-item p{margin:.25rem 0;overflow-wrap:anywhere}.avis-badge{display:inline-block;font-weight:700;font-size:.85rem;padding:.05rem .5rem;border-radius:4px;background:#e3edf8;color:#0b3d73}
.avis-warning .avis-badge{background:#fff1d6;color:#5c3c00}.avis-crisis .avis-badge{background:#fdecea;color:#8c1d18}.avis-window .avis-badge{background:#ececec;color:#1b1b1b}
.avis-lang{display:inline-block;min-width:1.9rem;font-size:.8rem;font-weight:700;color:#4a4a4a}
.avis-when{color:#4a4a4a;font-size:.9rem}
.avis form.avis-new{border:1px solid #c8c8c8;border-radius:6px;padding:.8rem 1rem;margin:.6rem 0}
.avis fieldset{border:0;padding:0;margin:.6rem 0}.avis legend,.avis label{font-weight:600;display:block;margin:.6rem 0 .15rem}
.avis fieldset label{font-weight:400;display:inline-block;margin:.2rem 1.2rem .2rem .2rem}
.avis textarea,.avis input[type=text],.avis input[type=datetime-local]{font:inherit;border:1px solid #6b6b6b;border-radius:4px;padding:.35rem .45rem;box-sizing:border-box}
.avis textarea{width:100%;max-width:48rem}.avis input[type=text]{width:16rem}
.avis [aria-invalid=true]{border:2px solid #b3261e}
.avis .avis-dates{display:flex;flex-wrap:wrap;gap:0 2rem}
.avis button{font:inherit;padding:.4rem .9rem;border-radius:4px;border:1px solid #0b57a4;background:#0b57a4;color:#fff;cursor:pointer;margin-top:.7rem}
.avis button.avis-end{background:#fff;color:#8c1d18;border-color:#8c1d18;margin-top:.3rem;padding:.25rem .7rem}
.avis pre{background:#f4f4f4;border:1px solid #c8c8c8;padding:.6rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.avis code{font-family:ui-monospace,Menlo,Consolas,monospace}.avis-off li{margin:.4rem 0}`)

var templates = template.Must(template.New("").Funcs(template.FuncMap{"css": func() template.CSS { return css }}).Parse(`
{{define "page"}}<div class="avis"><style>{{css}}</style>
<h1>{{.T "avis.heading"}}</h1>
<p class="avis-lead">{{.T "avis.lead"}}</p>
{{with .Flash}}<p class="avis-flash" role="status">{{.}}</p>{{end}}
{{with .EndError}}<p class="avis-error" role="alert">{{.}}</p>{{end}}
{{if not .Configured}}{{template "errors" .Notice}}{{template "errors" .Window}}{{template "off" .}}{{else}}
{{if .Unavailable}}<p class="avis-error" role="alert">{{.T "avis.err.list_unavailable"}}</p>{{end}}
<section aria-labelledby="current"><h2 id="current">{{.T "avis.current"}}</h2>
{{if .Current}}{{template "items" (.List .Current)}}{{else}}<p>{{.T "avis.current_none"}}</p>{{end}}</section>
<section aria-labelledby="scheduled"><h2 id="scheduled">{{.T "avis.scheduled"}}</h2>
{{if .Scheduled}}{{template "items" (.List .Scheduled)}}{{else}}<p>{{.T "avis.scheduled_none"}}</p>{{end}}</section>
{{template "notice-form" .}}
{{template "window-form" .}}
{{template "publication" .}}
{{end}}</div>{{end}}

{{define "items"}}<ul class="avis-list">{{range .Items}}
<li class="avis-item {{if eq .Kind "window"}}avis-window{{else}}{{.LevelClass}}{{end}}">
<p>{{if eq .Kind "window"}}<span class="avis-badge">{{$.V.T "avis.window_badge"}}</span> <code>{{.App}}</code>{{else}}<span class="avis-badge">{{.LevelWord}}</span>{{end}}</p>
<div id="item-{{.ID}}-text">{{if .TextFR}}<p lang="fr"><span class="avis-lang" aria-hidden="true">FR</span> {{.TextFR}}</p>
<p lang="en"><span class="avis-lang" aria-hidden="true">EN</span> {{.TextEN}}</p>{{else}}<p>{{$.V.T "avis.window_no_text"}}</p>{{end}}</div>
<p class="avis-when">{{$.V.When .NoticeItem}}{{with .CreatedBy}} · {{$.V.T "avis.by" .}}{{end}}</p>
<form method="post" action="{{$.V.EndLink .ID}}">{{$.V.CSRF}}<button type="submit" class="avis-end" aria-describedby="item-{{.ID}}-text">{{$.V.T "avis.end"}}</button></form>
</li>{{end}}</ul>{{end}}

{{define "errors"}}{{if .Errors}}<div class="avis-errors" role="alert"><h3>{{.T "avis.err.summary"}}</h3><ul>
{{range .Errors}}<li>{{if .Field}}<a href="#{{$.ID .Field}}">{{.Message}}</a>{{else}}{{.Message}}{{end}}</li>{{end}}</ul></div>{{end}}{{end}}

{{define "field-error"}}{{with .F.Err .Field}}<p class="avis-field-error" id="{{$.F.ID $.Field}}-error">{{.}}</p>{{end}}{{end}}

{{define "notice-form"}}{{$f := .Notice}}<section aria-labelledby="new-notice"><h2 id="new-notice">{{.T "avis.new_notice"}}</h2>
<form class="avis-new" method="post" action="{{.Link "/avis/avis"}}">{{.CSRF}}
{{template "errors" $f}}
<fieldset aria-describedby="{{$f.ID "level"}}-error"><legend id="{{$f.ID "level"}}">{{.T "avis.field.level"}}</legend>
{{range .LevelOptions}}<label><input type="radio" name="level" value="{{.Value}}"{{if eq .Value $f.Level}} checked{{end}}{{if $f.Err "level"}} aria-invalid="true"{{end}}> <strong>{{.Word}}</strong> — {{.Hint}}</label>{{end}}
{{template "field-error" ($f.Field "level")}}</fieldset>
{{template "text" ($f.Text "text_fr" "fr" (.T "avis.field.text_fr") $.NoticeMax)}}
{{template "text" ($f.Text "text_en" "en" (.T "avis.field.text_en") $.NoticeMax)}}
<p class="avis-note" id="{{$f.ID "text"}}-hint">{{.T "avis.hint.text" (.Num .NoticeMax)}}</p>
<div class="avis-dates">
{{template "date" ($f.Date "from" (.T "avis.field.from_optional") (.T "avis.hint.from_optional" .Zone))}}
{{template "date" ($f.Date "until" (.T "avis.field.until_optional") (.T "avis.hint.until_optional"))}}
</div>
<button type="submit">{{.T "avis.publish_notice"}}</button>
</form></section>{{end}}

{{define "window-form"}}{{$f := .Window}}<section aria-labelledby="new-window"><h2 id="new-window">{{.T "avis.new_window"}}</h2>
<p class="avis-note">{{.T "avis.window_lead"}}</p>
<form class="avis-new" method="post" action="{{.Link "/avis/maintenance"}}">{{.CSRF}}
{{template "errors" $f}}
<label for="{{$f.ID "app"}}">{{.T "avis.field.app"}}</label>
<input type="text" id="{{$f.ID "app"}}" name="app" value="{{$f.App}}" autocomplete="off" spellcheck="false" aria-required="true" aria-describedby="{{$f.ID "app"}}-hint{{if $f.Err "app"}} {{$f.ID "app"}}-error{{end}}"{{if $f.Err "app"}} aria-invalid="true"{{end}}>
<p class="avis-note" id="{{$f.ID "app"}}-hint">{{.T "avis.hint.app"}}</p>
{{template "field-error" ($f.Field "app")}}
<div class="avis-dates">
{{template "date" ($f.Date "from" (.T "avis.field.from") (.T "avis.hint.zone" .Zone))}}
{{template "date" ($f.Date "until" (.T "avis.field.until") (.T "avis.hint.zone" .Zone))}}
</div>
{{template "text" ($f.Text "text_fr" "fr" (.T "avis.field.text_fr_optional") $.NoticeMax)}}
{{template "text" ($f.Text "text_en" "en" (.T "avis.field.text_en_optional") $.NoticeMax)}}
<p class="avis-note" id="{{$f.ID "text"}}-hint">{{.T "avis.hint.window_text"}}</p>
<button type="submit">{{.T "avis.publish_window"}}</button>
</form></section>{{end}}

{{define "text"}}<label for="{{.F.ID .Field}}">{{.Label}}</label>
<textarea id="{{.F.ID .Field}}" name="{{.Field}}" lang="{{.Lang}}" rows="3" maxlength="{{.Max}}"{{if eq .F.Kind "notice"}} aria-required="true"{{end}} aria-describedby="{{.F.ID "text"}}-hint{{if .F.Err .Field}} {{.F.ID .Field}}-error{{end}}"{{if .F.Err .Field}} aria-invalid="true"{{end}}>{{.Value}}</textarea>
{{template "field-error" .}}{{end}}

{{define "date"}}<div><label for="{{.F.ID .Field}}">{{.Label}}</label>
<input type="datetime-local" id="{{.F.ID .Field}}" name="{{.Field}}" value="{{.Value}}"{{if eq .F.Kind "window"}} aria-required="true"{{end}} aria-describedby="{{.F.ID .Field}}-hint{{if .F.Err .Field}} {{.F.ID .Field}}-error{{end}}"{{if .F.Err .Field}} aria-invalid="true"{{end}}>
<p class="avis-note" id="{{.F.ID .Field}}-hint">{{.Hint}}</p>
{{template "field-error" .}}</div>{{end}}

{{define "publication"}}<section aria-labelledby="publication"><h2 id="publication">{{.T "avis.publication"}}</h2>
{{with .Latest}}<p>{{$.T "avis.latest" ($.Num .Serial) ($.Date .IssuedAt)}}</p>{{else}}<p>{{.T "avis.latest_none"}}</p>{{end}}
<p>{{.T "avis.profile_hint"}}</p>
<pre><code>[notices]
url = "{{.DocumentURL}}"
public_key = "{{.PublicKey}}"</code></pre>
</section>{{end}}

{{define "off"}}<section class="avis-off" aria-labelledby="off"><h2 id="off">{{.T "avis.off.heading"}}</h2>
<p>{{.T "avis.off.what"}}</p>
<p>{{.T "avis.off.how"}}</p>
<ol>
<li>{{.T "avis.off.step_key"}}<br><code>minisign -G -W -p /etc/relais/notices.pub -s /etc/relais/notices.key</code></li>
<li>{{.T "avis.off.step_mode"}}<br><code>chmod 600 /etc/relais/notices.key</code></li>
<li>{{.T "avis.off.step_config"}}<br><code>notice_key_file = "/etc/relais/notices.key"</code></li>
<li>{{.T "avis.off.step_profile"}}</li>
</ol>
<p>{{.T "avis.off.offline"}}</p>
</section>{{end}}

{{define "page-html"}}<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — Relais</title>
<style>body{margin:1.5rem auto;max-width:64rem;padding:0 1rem;background:#fff}nav{text-align:right;font-size:.9rem}nav a{color:#0b57a4}</style></head>
<body><nav aria-label="{{.LangNav}}"><a href="?lang={{.Other}}" lang="{{.Other}}" hreflang="{{.Other}}">{{.OtherName}}</a></nav>
<main>{{.Body}}</main></body></html>{{end}}
`))

// listArg is what the "items" template reads.
type listArg struct {
	V     pageView
	Items []itemView
}

// List pairs items with the page, for the "items" template.
func (v pageView) List(items []itemView) listArg { return listArg{V: v, Items: items} }

// When says an item's period in words.
func (v view) When(it db.NoticeItem) string {
	switch {
	case !it.From.IsZero() && !it.Until.IsZero():
		return v.T("avis.when.both", v.Date(it.From), v.Date(it.Until))
	case !it.From.IsZero():
		return v.T("avis.when.from", v.Date(it.From))
	case !it.Until.IsZero():
		return v.T("avis.when.until", v.Date(it.Until))
	}
	return v.T("avis.when.open")
}

// T is the message key in the form's language.
func (f *form) T(key string) string { return i18n.T(f.lang, key) }

// ID is the HTML id of a form's field: "notice-text_fr".
func (f *form) ID(field string) string { return f.Kind + "-" + field }

type fieldArg struct {
	F                               *form
	Field, Lang, Label, Hint, Value string
	Max                             int64
}

// Field is the argument of "field-error".
func (f *form) Field(field string) fieldArg { return fieldArg{F: f, Field: field} }

// Text is the argument of the "text" template.
func (f *form) Text(field, lang, label string, max int64) fieldArg {
	v := f.TextFR
	if field == fTextEN {
		v = f.TextEN
	}
	return fieldArg{F: f, Field: field, Lang: lang, Label: label, Value: v, Max: max}
}

// Date is the argument of the "date" template.
func (f *form) Date(field, label, hint string) fieldArg {
	v := f.From
	if field == fUntil {
		v = f.Until
	}
	return fieldArg{F: f, Field: field, Label: label, Hint: hint, Value: v}
}

func render(name string, data any) (template.HTML, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // html/template's output: escaped
}

// DefaultPage writes a plain page around body: the language, a link to the
// other one, no account. The server's layout replaces it.
func DefaultPage(w http.ResponseWriter, r *http.Request, lang, title string, body template.HTML) {
	lang = i18n.Normalize(lang)
	other := i18n.EN
	if lang == i18n.EN {
		other = i18n.FR
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if l := r.URL.Query().Get("lang"); l == i18n.FR || l == i18n.EN {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", SameSite: http.SameSiteLaxMode, HttpOnly: true})
	}
	_ = templates.ExecuteTemplate(w, "page-html", struct {
		Lang, Title, LangNav, Other, OtherName string
		Body                                   template.HTML
	}{lang, title, i18n.T(lang, "avis.lang_nav"), other, i18n.T(other, "avis.lang_name"), body})
}
