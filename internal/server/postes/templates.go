package postes

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"relais/internal/i18n"
)

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"short": shortKey,
	"group": func(code string) []string { a, b, _ := strings.Cut(code, "-"); return []string{a, b} },
	// spell is a code letter by letter, for a screen reader: "A X P Q 3, 9 J X 6 P".
	"spell": func(code string) string {
		a, b, _ := strings.Cut(code, "-")
		return strings.Join(strings.Split(a, ""), " ") + ", " + strings.Join(strings.Split(b, ""), " ")
	},
}).Parse(`
{{define "page"}}<link rel="stylesheet" href="/postes/postes.css">
<p class="hint">{{.T "postes.lead"}}</p>
{{with .Flash}}<p class="postes-flash" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="error" role="alert">{{.}}</p>{{end}}
{{if .Unavailable}}<p class="error" role="alert">{{.T "postes.err.list_unavailable"}}</p>{{end}}
<section aria-labelledby="code-title">
<h2 id="code-title">{{.T "postes.code.title"}}</h2>
{{with .Created}}<div class="postes-created" id="created" role="status">
<p>{{$.T "postes.code.for" .Person}}</p>
<p class="postes-secret" id="code-value" translate="no">{{$g := group .Code}}<span class="groups" aria-hidden="true"><span>{{index $g 0}}</span><span class="dash">-</span><span>{{index $g 1}}</span></span><span class="vh">{{spell .Code}}</span></p>
<p>{{$.T "postes.code.expires" ($.Date .Expires) .Validity}}</p>
<p class="hint">{{$.T "postes.code.once"}}</p>
</div>{{end}}
{{if .NotEnabled}}<p class="error" id="not-enabled">{{.T "postes.not_enabled"}}</p>{{else}}<p class="hint">{{.T "postes.code.lead"}}</p>
<form method="post" action="/postes/code" class="postes-new" id="code-form">{{.CSRF}}
<div class="fields"><div><label for="person">{{.T "postes.code.person"}}</label>
<input id="person" name="person" value="{{.Person}}" maxlength="{{.MaxPerson}}" required autocomplete="off" aria-describedby="person-hint{{if .PersonError}} person-error{{end}}"{{if .PersonError}} aria-invalid="true" autofocus{{end}}></div>
<div><label for="valid">{{.T "postes.code.valid"}}</label>
<select id="valid" name="valid">{{range .Validities}}<option value="{{.Minutes}}"{{if .Selected}} selected{{end}}>{{.Word}}</option>{{end}}</select></div>
<div><button type="submit">{{.T "postes.code.submit"}}</button></div></div>
<p class="hint" id="person-hint">{{.T "postes.code.person_hint"}}</p>
{{with .PersonError}}<p class="error" id="person-error" role="alert">{{.}}</p>{{end}}
</form>{{end}}
{{if .Codes}}<h3>{{.T "postes.codes.pending"}}</h3>
<ul class="postes-codes">{{range .Codes}}<li>{{$.T "postes.codes.item" .Person ($.Date .Expires) .CreatedBy}}</li>{{end}}</ul>{{end}}
</section>
<section aria-labelledby="peers-title">
<h2 id="peers-title">{{.T "postes.peers.title"}}</h2>
<form method="get" action="/postes" role="search" class="find">
<label for="q">{{.T "postes.peers.search"}}</label>
<p class="hint" id="q-hint">{{.T "postes.peers.search_hint"}}</p>
<div class="row"><input id="q" name="q" type="search" value="{{.Query}}" maxlength="200" autocomplete="off" spellcheck="false" aria-describedby="q-hint">
<label class="check"><input type="checkbox" name="tous" value="1"{{if .All}} checked{{end}}> {{.T "postes.peers.all"}}</label>
<button type="submit">{{.T "postes.peers.find"}}</button></div>
</form>
{{if .Peers}}<p id="peer-count">{{.CountText}}</p>
<div class="scroll"><table class="postes-table" id="peers">
<caption class="vh">{{.T "postes.peers.caption"}}</caption>
<thead><tr><th scope="col">{{.T "postes.col.device"}}</th><th scope="col">{{.T "postes.col.addresses"}}</th><th scope="col">{{.T "postes.col.enrolled"}}</th><th scope="col">{{.T "postes.col.via"}}</th><th scope="col">{{.T "postes.col.state"}}</th><th scope="col"><span class="vh">{{.T "postes.col.action"}}</span></th></tr></thead>
<tbody>
{{range .Peers}}<tr id="peer-{{.ID}}"><th scope="row">{{.DeviceName}}<br><span class="postes-key" title="{{.PublicKey}}">{{short .PublicKey}}</span></th><td class="addr">{{.Addrs}}</td><td class="when"><time datetime="{{$.ISO .EnrolledAt}}">{{$.Date .EnrolledAt}}</time></td><td>{{.ViaText}}</td><td class="state"><span class="badge {{.StateClass}}">{{.StateWord}}</span>{{if not .Live}}<br><small>{{$.Date .RevokedAt}}{{with .RevokedBy}} · {{.}}{{end}}</small>{{end}}</td>
<td>{{if .Live}}<a class="postes-revoke" href="/postes/{{.ID}}/revoquer">{{$.T "postes.revoke"}}<span class="vh"> {{.DeviceName}}</span></a>{{end}}</td></tr>
{{end}}</tbody></table></div>
{{if .MorePeers}}<p class="hint">{{.T "postes.peers.more" (.Num (len .Peers))}}</p>{{end}}
{{else}}<p class="empty" id="peer-count">{{if .Query}}{{.T "postes.peers.none_found" .Query}}{{else}}{{.T "postes.peers.none"}}{{end}}</p>{{end}}
</section>
<section aria-labelledby="tokens-title">
<h2 id="tokens-title">{{.T "postes.tokens.title"}}</h2>
<p class="hint">{{.T "postes.tokens.lead"}}</p>
{{if .Tokens}}<div class="scroll"><table class="postes-table" id="tokens">
<caption class="vh">{{.T "postes.tokens.caption"}}</caption>
<thead><tr><th scope="col">{{.T "postes.col.token"}}</th><th scope="col" class="num">{{.T "postes.col.uses"}}</th><th scope="col">{{.T "postes.col.expires"}}</th><th scope="col">{{.T "postes.col.state"}}</th><th scope="col">{{.T "postes.col.created_by"}}</th></tr></thead>
<tbody>
{{range .Tokens}}<tr><th scope="row">{{.Name}}</th><td class="num">{{$.T "postes.tokens.uses" ($.Num .Uses) ($.Num .MaxUses)}}</td><td class="when">{{$.Date .Expires}}</td><td class="state"><span class="badge {{.StateClass}}">{{.StateWord}}</span></td><td>{{.CreatedBy}}</td></tr>
{{end}}</tbody></table></div>
{{else}}<p class="empty">{{.T "postes.tokens.none"}}</p>{{end}}
</section>
<section aria-labelledby="events-title">
<h2 id="events-title">{{.T "postes.events.title"}}</h2>
{{if .Events}}<div class="scroll"><table class="postes-table" id="events">
<caption class="vh">{{.T "postes.events.caption"}}</caption>
<thead><tr><th scope="col">{{.T "postes.col.when"}}</th><th scope="col">{{.T "postes.col.event"}}</th><th scope="col">{{.T "postes.col.device"}}</th><th scope="col">{{.T "postes.col.via"}}</th><th scope="col">{{.T "postes.col.source"}}</th></tr></thead>
<tbody>
{{range .Events}}<tr><td class="when"><time datetime="{{$.ISO .At}}">{{$.Date .At}}</time></td><td><span class="badge {{.KindClass}}">{{.KindWord}}</span>{{with .CodeWord}}<br><small>{{.}}</small>{{end}}</td><td>{{.DeviceName}}{{with .ShortKey}}<br><span class="postes-key">{{.}}</span>{{end}}</td><td>{{.ViaText}}</td><td>{{.Source}}</td></tr>
{{end}}</tbody></table></div>
{{else}}<p class="empty">{{.T "postes.events.none"}}</p>{{end}}
</section>{{end}}

{{define "confirm"}}<link rel="stylesheet" href="/postes/postes.css">
<p>{{.T "postes.confirm.text"}}</p>
<dl id="confirm-peer"><dt>{{.T "postes.col.device"}}</dt><dd>{{.Peer.DeviceName}}</dd>
<dt>{{.T "postes.col.key"}}</dt><dd><code>{{.Peer.PublicKey}}</code></dd>
<dt>{{.T "postes.col.addresses"}}</dt><dd>{{.Peer.Addrs}}</dd>
<dt>{{.T "postes.col.enrolled"}}</dt><dd>{{.Date .Peer.EnrolledAt}}</dd>
<dt>{{.T "postes.col.via"}}</dt><dd>{{.Peer.ViaText}}</dd></dl>
<form method="post" action="{{.Action}}" id="confirm-form">{{.CSRF}}
<div class="actions"><button type="submit" class="danger">{{.T "postes.confirm.submit"}}</button>
<a href="/postes">{{.T "postes.confirm.cancel"}}</a></div>
</form>{{end}}

{{define "bare"}}<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}} · Relais</title></head>
<body><main><h1>{{.Title}}</h1>{{.Body}}</main></body></html>{{end}}
`))

func render(name string, data any) (template.HTML, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // html/template's output: escaped
}

// barePage writes a page without the server's layout (tests, or a server
// without pages for people).
func barePage(lang func(*http.Request) string) func(http.ResponseWriter, *http.Request, string, template.HTML) {
	return func(w http.ResponseWriter, r *http.Request, title string, body template.HTML) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = templates.ExecuteTemplate(w, "bare", struct {
			Lang, Title string
			Body        template.HTML
		}{i18n.Normalize(lang(r)), title, body})
	}
}
