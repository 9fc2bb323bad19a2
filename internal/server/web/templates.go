package web

import "html/template"

var layout = template.Must(template.New("layout").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} · Relais</title>
<link rel="stylesheet" href="/static/web.css">
</head>
<body>
<a class="skip" href="#main">{{call .T "web.skip"}}</a>
<header class="top">
<a class="brand" href="/">Relais</a>
{{if .Nav}}<nav aria-label="{{call .T "web.nav.label"}}"><ul>
{{range .Nav}}<li><a href="{{.Path}}"{{if .Current}} aria-current="page"{{end}}>{{.Name}}</a></li>
{{end}}</ul></nav>
{{end}}<div class="tools">
<a href="?lang={{.OtherLang}}" lang="{{.OtherLang}}" hreflang="{{.OtherLang}}" title="{{.OtherLangLabel}}">{{.OtherLangName}}</a>
{{if .Account}}<span class="who">{{.Account}} <small>({{.Role}})</small></span>
<form method="post" action="/deconnexion" class="inline">{{.CSRF}}<button type="submit" class="link">{{call .T "web.logout"}}</button></form>
{{end}}</div>
</header>
<main id="main">
<h1>{{.Title}}</h1>
{{.Body}}
</main>
</body>
</html>
`))

var messagePage = template.Must(template.New("message").Parse(`<p class="message">{{.Text}}</p>
<p><a href="/">{{.Home}}</a></p>
`))

var homePage = template.Must(template.New("home").Parse(`<p>{{.Hello}}</p>
{{if .Items}}<ul class="cards">
{{range .Items}}<li><a href="{{.Path}}">{{.Name}}</a></li>
{{end}}</ul>{{else}}<p>{{.None}}</p>{{end}}
`))

var loginPage = template.Must(template.New("login").Parse(`{{if .Error}}<p class="error" role="alert" id="login-error">{{.Error}}</p>
{{end}}<form method="post" action="{{.Action}}" class="login">
<input type="hidden" name="csrf" value="{{.Token}}">
<input type="hidden" name="next" value="{{.Next}}">
<p><label for="name">{{call .T "web.login.name"}}</label>
<input id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="{{.Name}}"{{if not .Name}} autofocus{{end}}{{if .Error}} aria-describedby="login-error"{{end}}></p>
<p><label for="password">{{call .T "web.login.password"}}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"{{if .Name}} autofocus{{end}}></p>
<p><button type="submit">{{call .T "web.login.submit"}}</button></p>
</form>
<p class="hint">{{call .T "web.login.hint"}}</p>
`))

var inboxPage = template.Must(template.New("inbox").Parse(`<form method="get" action="/dossiers" class="find" role="search">
<label for="code">{{call .T "web.inbox.code_label"}}</label>
<p class="hint" id="code-hint">{{call .T "web.inbox.code_hint"}}</p>
<div class="row"><input id="code" name="code" value="{{.Typed}}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40" aria-describedby="code-hint{{if .CodeError}} code-error{{end}}"{{if .CodeError}} aria-invalid="true" autofocus{{end}}>
<button type="submit">{{call .T "web.inbox.code_submit"}}</button></div>
{{if .CodeError}}<p class="error" id="code-error" role="alert">{{.CodeError}}</p>
{{end}}</form>
<h2>{{call .T "web.inbox.list"}}</h2>
<p>{{.Counts}}</p>
{{if not .CanOpen}}<p class="hint">{{call .T "web.inbox.no_identity"}}</p>
{{end}}{{if .Empty}}<p class="empty">{{call .T "web.inbox.empty"}}</p>
{{else}}<div class="scroll"><table class="inbox">
<caption>{{call .T "web.inbox.caption"}}</caption>
<thead><tr><th scope="col">{{call .T "web.inbox.col.code"}}</th><th scope="col">{{call .T "web.inbox.col.received"}}</th><th scope="col" class="num">{{call .T "web.inbox.col.size"}}</th><th scope="col">{{call .T "web.inbox.col.taken"}}</th><th scope="col">{{call .T "web.inbox.col.status"}}</th></tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row"><a href="{{.Link}}">{{.Code}}</a>{{if .Essential}} <strong class="flag">{{call $.T "web.inbox.essential"}}</strong>{{end}}</th><td>{{.Received}}</td><td class="num">{{.Size}}</td><td>{{.TakenBy}}</td><td><span class="badge {{.StatusClass}}">{{.Status}}</span></td></tr>
{{end}}</tbody>
</table></div>
{{if .More}}<p class="hint">{{.More}}</p>{{end}}
{{end}}`))

var dossierPage = template.Must(template.New("dossier").Parse(`<p class="facts">{{call .T "web.dossier.received" .Received .Size}} · <span class="badge">{{.Status}}</span>{{if .CanAct}} · <a href="{{.Download}}" download="{{.FileName}}">{{call .T "web.dossier.download" .FileName}}</a>{{end}}</p>
{{if .Essential}}<p class="flag-line"><strong class="flag">{{call .T "web.inbox.essential"}}</strong></p>
{{end}}{{if .Taken}}<p>{{.Taken}}</p>
{{end}}{{if .Resolved}}<p>{{.Resolved}}</p>
{{end}}{{if .CanAct}}<div class="actions">
{{if not .TakenByMe}}<form method="post" action="{{.Base}}/prendre">{{.CSRF}}<button type="submit">{{call .T "web.dossier.take"}}</button></form>
{{end}}{{if .IsResolved}}<form method="post" action="{{.Base}}/rouvrir">{{.CSRF}}<button type="submit" class="secondary">{{call .T "web.dossier.reopen"}}</button></form>
{{else}}<form method="post" action="{{.Base}}/resolu">{{.CSRF}}<button type="submit" class="secondary">{{call .T "web.dossier.resolve"}}</button></form>
{{end}}</div>
{{else}}<p class="hint">{{call .T "web.dossier.readonly"}}</p>
{{end}}<div class="bundle">
{{if .Verdict}}{{.Verdict}}{{else}}<section id="verdict" class="verdict v-idle">
<h2>{{call .T "web.dossier.verdict_unknown"}}</h2>
<p>{{.NoSummary}}</p>
{{if .OpenError}}<p><code>{{.OpenError}}</code></p>
{{end}}{{if .CanAct}}<p><a href="{{.Download}}" download="{{.FileName}}">{{call .T "web.dossier.download" .FileName}}</a></p>
<p>{{call .T "web.dossier.open_with"}} <code>{{.Command}}</code></p>
{{end}}</section>
{{end}}</div>
<section class="notes" aria-labelledby="notes-title">
<h2 id="notes-title">{{call .T "web.notes.title"}}</h2>
{{range .Notes}}<article class="note"><p class="meta">{{.Author}} — {{.When}}</p><p class="note-body">{{.Body}}</p></article>
{{else}}<p class="empty">{{call .T "web.notes.none"}}</p>
{{end}}{{if .CanAct}}<form method="post" action="{{.Base}}/note" class="add-note">{{.CSRF}}
<label for="note">{{call .T "web.notes.add"}}</label>
{{if .NoteError}}<p class="error" id="note-error" role="alert">{{.NoteError}}</p>
{{end}}<textarea id="note" name="note" rows="4" maxlength="{{.MaxNote}}" required{{if .NoteError}} aria-invalid="true" aria-describedby="note-error"{{end}}>{{.NoteText}}</textarea>
<p><button type="submit">{{call .T "web.notes.submit"}}</button></p>
</form>
{{end}}</section>
{{if .Details}}<h2>{{call .T "web.dossier.details"}}</h2>
<div class="bundle">{{.Details}}</div>
{{end}}`))
