package campaign

import (
	"bytes"
	"html/template"
	"net/http"

	"relais/internal/i18n"
)

// css styles the pages' bodies (class names start with camp-): no outside
// resource; contrast at least 4.5:1 on white.
const css = template.CSS(`.camp{color:#1b1b1b;line-height:1.45;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.camp h1{font-size:1.6rem;margin:.2rem 0}.camp h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #c8c8c8}
.camp a{color:#0b57a4}.camp a:focus-visible{outline:3px solid #0b57a4;outline-offset:2px}
.camp-id{color:#4a4a4a;font-size:.9rem;overflow-wrap:anywhere}
.camp-facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.6rem;margin:1rem 0;padding:0}
.camp-facts div{border:1px solid #c8c8c8;border-radius:6px;padding:.5rem .7rem}.camp-facts dt{font-size:.85rem;color:#4a4a4a}
.camp-facts dd{margin:0;font-size:1.35rem;font-weight:600}.camp-facts dd small{font-size:.85rem;font-weight:400;color:#4a4a4a}
.camp table{border-collapse:collapse;width:100%;font-size:.95rem;margin:.5rem 0}.camp caption{text-align:left;font-weight:600;padding:.3rem 0}
.camp th,.camp td{border:1px solid #c8c8c8;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.camp th{background:#f0f0f0}.camp thead th{overflow-wrap:normal}.camp td.n{text-align:right;white-space:nowrap}.camp ul{margin:0;padding-left:1.1rem}
.camp figure{margin:1rem 0}.camp svg{width:100%;max-width:760px;height:auto;display:block}
.camp svg text{font-size:12px;fill:#1b1b1b}.camp svg .axis{stroke:#4a4a4a;stroke-width:1}
.camp svg .in{fill:#2e7d32}.camp svg .across{fill:#8a5a00}.camp svg .out{fill:#c62828}.camp svg .plain{fill:#0b57a4}
.camp svg .rto{stroke:#1b1b1b;stroke-width:2;stroke-dasharray:6 4}.camp svg .rto-label{font-weight:700}
.camp-legend{display:flex;flex-wrap:wrap;gap:1rem;padding:0;list-style:none;font-size:.9rem}
.camp-legend span{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;margin-right:.3rem}
.camp-sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.camp-note{color:#4a4a4a;font-size:.9rem}.camp-feedback{list-style:none;padding:0}
.camp-feedback li{border-left:4px solid #c8c8c8;padding:.3rem .8rem;margin:.6rem 0}
.camp-feedback blockquote{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}.camp-feedback p{margin:.2rem 0 0;color:#4a4a4a;font-size:.85rem}
.camp-actions a{display:inline-block;margin-right:1rem}`)

var templates = template.Must(template.New("").Funcs(template.FuncMap{"css": func() template.CSS { return css }}).Parse(`
{{define "error"}}<div class="camp"><style>{{css}}</style><h1>{{.T "campaign.error_title"}}</h1><p>{{.Message}}</p>
<p><a href="{{.Link "/campagnes"}}">{{.T "campaign.back"}}</a></p></div>{{end}}

{{define "list"}}<div class="camp"><style>{{css}}</style>
<h1>{{.T "campaign.list_title"}}</h1>
{{if .Drills}}<table>
<caption>{{.T "campaign.list_caption"}}</caption>
<thead><tr><th scope="col">{{.T "campaign.col.drill"}}</th><th scope="col">{{.T "campaign.col.reports"}}</th><th scope="col">{{.T "campaign.col.completed"}}</th><th scope="col">{{.T "campaign.col.last"}}</th></tr></thead>
<tbody>{{range .Drills}}<tr><td><a href="{{$.DrillLink .DrillID}}">{{with .Title.In $.Lang}}{{.}}{{else}}{{$.T "campaign.untitled"}}{{end}}</a><br><span class="camp-id">{{.DrillID}}</span></td>
<td class="n">{{$.Num .Reports}}</td><td class="n">{{$.Num .Completed}} ({{$.Pct .Completed .Reports}})</td><td><time datetime="{{$.ISO .Last}}">{{$.Date .Last}}</time></td></tr>
{{end}}</tbody></table>
{{else}}<p>{{.T "campaign.list_empty"}}</p>{{end}}
</div>{{end}}

{{define "drill"}}<div class="camp"><style>{{css}}</style>
<p><a href="{{.Link "/campagnes"}}">{{.T "campaign.back"}}</a></p>
<h1>{{.Title}}</h1>
<p class="camp-id">{{.T "campaign.drill_id"}} {{.DrillID}}</p>
<p class="camp-actions"><a href="{{.DrillLink (printf "%s.csv" .DrillID)}}" download>{{.T "campaign.csv"}}</a></p>

<section aria-labelledby="participation"><h2 id="participation">{{.T "campaign.participation"}}</h2>
<dl class="camp-facts">
<div><dt>{{.T "campaign.reports"}}</dt><dd>{{.Num .C.Reports}}</dd></div>
<div><dt>{{.T "campaign.participants"}}</dt><dd>{{.Num .C.Participants}}</dd></div>
<div><dt>{{.T "campaign.sources"}}</dt><dd>{{.Num .C.Sources}}</dd></div>
<div><dt>{{.T "campaign.completed"}}</dt><dd>{{.Num .C.Completed}} <small>({{.Pct .C.Completed .C.Reports}})</small></dd></div>
<div><dt>{{.T "campaign.operational"}}</dt><dd>{{.Num .C.Operational}} <small>({{.Pct .C.Operational .C.Reports}})</small></dd></div>
{{if .RTO}}<div><dt>{{.T "campaign.within_rto" .RTO}}</dt><dd>{{.Num .C.WithinRTO}} <small>({{.Pct .C.WithinRTO .C.Operational}})</small></dd></div>{{end}}
{{if .Median}}<div><dt>{{.T "campaign.median"}}</dt><dd>{{.Median}}</dd></div>
<div><dt>{{.T "campaign.p90"}}</dt><dd>{{.P90}}</dd></div>{{end}}
</dl>
<p class="camp-note">{{.T "campaign.period" (.Date .C.First) (.Date .C.Last)}}</p>
{{if gt .C.RTOs 1}}<p class="camp-note">{{.T "campaign.rto_changed" .RTO}}</p>{{end}}
<p class="camp-note">{{.T "campaign.no_service"}}</p>
</section>

<section aria-labelledby="tto"><h2 id="tto">{{.T "campaign.chart.heading"}}</h2>
{{with .Chart}}{{if .Empty}}<p>{{.Desc}}</p>{{else}}
<figure>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-labelledby="chart-title chart-desc">
<title id="chart-title">{{.Title}}</title>
<desc id="chart-desc">{{.Desc}}</desc>
<g aria-hidden="true">
<line class="axis" x1="{{.Left}}" y1="{{.Bottom}}" x2="{{.Right}}" y2="{{.Bottom}}"/>
<line class="axis" x1="{{.Left}}" y1="{{.YMaxY}}" x2="{{.Left}}" y2="{{.Bottom}}"/>
<text x="{{.Left}}" y="{{.YMaxY}}" dx="-6" dy="4" text-anchor="end">{{.YMax}}</text>
<text x="{{.Left}}" y="{{.Bottom}}" dx="-6" dy="4" text-anchor="end">0</text>
<text x="14" y="{{.YMaxY}}" dy="-16" text-anchor="start">{{.YTitle}}</text>
{{range .Bars}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"/>
{{if .Count}}<text x="{{.CountX}}" y="{{.CountY}}" text-anchor="middle">{{.Count}}</text>{{end}}
{{if .Label}}<text x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="middle">{{.Label}}</text>{{end}}
{{end}}
{{if .RTO}}<line class="rto" x1="{{.RTOX}}" y1="{{.YMaxY}}" x2="{{.RTOX}}" y2="{{.Bottom}}"/>
<text class="rto-label" x="{{.RTOLabelX}}" y="{{.YMaxY}}" dy="-6" text-anchor="{{.RTOAnchor}}">{{.RTOLabel}}</text>{{end}}
<text x="{{.XTitleX}}" y="{{.XTitleY}}" text-anchor="middle">{{.XTitle}}</text>
</g>
</svg>
<figcaption>{{.Desc}}</figcaption>
</figure>
{{if $.RTO}}<ul class="camp-legend" aria-hidden="true"><li><span style="background:#2e7d32"></span>{{$.T "campaign.legend.in"}}</li><li><span style="background:#8a5a00"></span>{{$.T "campaign.legend.across"}}</li><li><span style="background:#c62828"></span>{{$.T "campaign.legend.out"}}</li></ul>{{end}}
<table class="camp-sr"><caption>{{.Title}}</caption>
<thead><tr><th scope="col">{{$.T "campaign.col.range"}}</th><th scope="col">{{$.T "campaign.col.reports"}}</th><th scope="col">{{$.T "campaign.col.share"}}</th></tr></thead>
<tbody>{{range .Rows}}<tr><th scope="row">{{.Range}}</th><td class="n">{{.Count}}</td><td class="n">{{.Share}}</td></tr>{{end}}</tbody>
</table>{{end}}{{end}}
</section>

<section aria-labelledby="steps"><h2 id="steps">{{.T "campaign.steps"}}</h2>
{{if .Steps}}<table>
<thead><tr><th scope="col">{{.T "campaign.col.step"}}</th><th scope="col">{{.T "campaign.col.failed"}}</th><th scope="col">{{.T "campaign.col.skipped"}}</th><th scope="col">{{.T "campaign.col.open"}}</th><th scope="col">{{.T "campaign.col.reasons"}}</th></tr></thead>
<tbody>{{range .Steps}}<tr><th scope="row">{{.Title}}<br><span class="camp-id">{{.ID}}</span></th><td class="n">{{$.Num .Failed}}</td><td class="n">{{$.Num .Skipped}}</td><td class="n">{{$.Num .Open}}</td>
<td>{{if or .ChecksFailed .ActionFailed}}<p>{{if .ChecksFailed}}{{$.T "campaign.checks_failed" ($.Num .ChecksFailed)}} {{end}}{{if .ActionFailed}}{{$.T "campaign.action_failed" ($.Num .ActionFailed)}}{{end}}</p>{{end}}
{{if .Reasons}}<ul>{{range .Reasons}}<li>{{.Text}} <small>({{$.Num .Count}})</small></li>{{end}}</ul>{{end}}
{{if gt .OtherReasons 0}}<p class="camp-note">{{$.Plural "campaign.other_reasons" .OtherReasons}}</p>{{end}}</td></tr>
{{end}}</tbody></table>
{{else}}<p>{{.T "campaign.steps_none"}}</p>{{end}}
</section>

<section aria-labelledby="apps"><h2 id="apps">{{.T "campaign.apps"}}</h2>
{{if .Apps}}<table>
<thead><tr><th scope="col">{{.T "campaign.col.app"}}</th><th scope="col">{{.T "campaign.col.app_reports"}}</th><th scope="col">{{.T "campaign.col.checks"}}</th></tr></thead>
<tbody>{{range .Apps}}<tr><th scope="row">{{.Name}}</th><td class="n">{{$.Num .Reports}}</td><td><ul>{{range .Checks}}<li>{{$.T "campaign.apps.check" .Check .State}} <small>({{$.Num .Count}})</small>{{if .Reason}} <small class="detail">{{$.T "campaign.apps.detail" .Reason}}</small>{{end}}</li>{{end}}</ul></td></tr>
{{end}}</tbody></table>
{{else}}<p>{{.T "campaign.apps_none"}}</p>{{end}}
</section>

<section aria-labelledby="avis"><h2 id="avis">{{.T "campaign.feedback"}} <small>({{.Num .C.Feedback}})</small></h2>
{{if .Feedback}}<ol class="camp-feedback">{{range .Feedback}}<li><blockquote>{{.Text}}</blockquote>
<p>{{with .Participant}}{{.}}{{else}}{{$.T "campaign.unnamed"}}{{end}}, <time datetime="{{$.ISO .Received}}">{{$.Date .Received}}</time></p></li>
{{end}}</ol>
{{else}}<p>{{.T "campaign.feedback_none"}}</p>{{end}}
<p class="camp-actions">{{if .Newest}}<a href="{{.Newest}}">{{.T "campaign.feedback_newest"}}</a>{{end}}{{if .Older}}<a href="{{.Older}}">{{.T "campaign.feedback_older"}}</a>{{end}}</p>
</section>
</div>{{end}}

{{define "page"}}<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — Relais</title>
<style>body{margin:1.5rem auto;max-width:64rem;padding:0 1rem;background:#fff}nav{text-align:right;font-size:.9rem}nav a{color:#0b57a4}</style></head>
<body><nav aria-label="{{.LangNav}}"><a href="?lang={{.Other}}" lang="{{.Other}}" hreflang="{{.Other}}">{{.OtherName}}</a></nav>
<main>{{.Body}}</main></body></html>{{end}}
`))

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
	// Only a link of the page's own: a ?lang= link sets nothing else.
	if l := r.URL.Query().Get("lang"); l == i18n.FR || l == i18n.EN {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", SameSite: http.SameSiteLaxMode, HttpOnly: true})
	}
	_ = templates.ExecuteTemplate(w, "page", struct {
		Lang, Title, LangNav, Other, OtherName string
		Body                                   template.HTML
	}{lang, title, i18n.T(lang, "campaign.lang_nav"), other, i18n.T(other, "campaign.lang_name"), body})
}
