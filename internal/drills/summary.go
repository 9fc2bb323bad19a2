package drills

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"relais/internal/i18n"
)

// Summarize makes the table of reports. A report seen twice (same run id)
// counts once: the one that finished last (a run exported while under way,
// then finished), else the first seen.
func Summarize(reports []Report) Table {
	rows := make([]Row, 0, len(reports))
	finished := make([]time.Time, 0, len(reports))
	seen := make(map[string]int, len(reports))
	for i := range reports {
		r := &reports[i]
		if j, ok := seen[r.RunID]; ok {
			if r.Finished.After(finished[j]) {
				rows[j], finished[j] = rowOf(r), r.Finished
			}
			continue
		}
		seen[r.RunID] = len(rows)
		rows = append(rows, rowOf(r))
		finished = append(finished, r.Finished)
	}
	slices.SortFunc(rows, func(a, b Row) int { // run ids are unique here: a total order
		if c := strings.Compare(a.DrillID, b.DrillID); c != 0 {
			return c
		}
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.RunID, b.RunID)
	})
	return Table{Rows: rows}
}

func rowOf(r *Report) Row {
	row := Row{
		RunID: r.RunID, Participant: r.Participant, DrillID: r.DrillID, DrillTitle: r.DrillTitle, Started: r.Started,
		Completed: r.Completed, TimeToOperationalMS: r.TimeToOperationalMS, RTOMS: r.RTOMS, WithinRTO: r.WithinRTO,
		FailedSteps: []string{}, SkippedSteps: []string{}, Feedback: r.Feedback, Steps: r.Steps,
	}
	for _, s := range r.Steps {
		if s.Required && s.State != StepDone {
			row.FailedSteps = append(row.FailedSteps, s.ID)
		}
		if s.State == StepSkipped {
			row.SkippedSteps = append(row.SkippedSteps, s.ID)
		}
	}
	return row
}

// csvColumns are the CSV's columns, as label keys.
var csvColumns = []string{
	"drills.table.col.run_id", "drills.table.col.participant", "drills.table.col.drill_id", "drills.table.col.drill_title",
	"drills.table.col.started", "drills.table.col.completed", "drills.table.col.tto_s", "drills.table.col.rto_s",
	"drills.table.col.within_rto", "drills.table.col.failed_steps", "drills.table.col.skipped_steps",
	"drills.table.col.skip_reasons", "drills.table.col.answers", "drills.table.col.notes", "drills.table.col.feedback",
}

// CSVSeparator is the CSV's field separator: ";", what a spreadsheet set
// to French (and most of Europe, where "," is the decimal mark) expects.
const CSVSeparator = ';'

// stepWords are the table's words about a report's steps, in lang: the
// titles of the steps failed and skipped, then "title: text" for skip
// reasons, answers (in lang) and notes.
func stepWords(r Row, lang string) (failed, skipped, reasons, answers, notes []string) {
	titleOf := func(s ReportStep) string { return orWord(s.Title.In(lang), s.ID) }
	line := func(s ReportStep, text string) string {
		return i18n.T(lang, "drills.table.step_text", titleOf(s), text)
	}
	for _, s := range r.Steps {
		if s.Required && s.State != StepDone {
			failed = append(failed, titleOf(s))
		}
		if s.State == StepSkipped {
			skipped = append(skipped, titleOf(s))
		}
		if s.SkipReason != "" {
			reasons = append(reasons, line(s, s.SkipReason))
		}
		if a := s.AnswerIn(lang); a != "" {
			answers = append(answers, line(s, a))
		}
		if s.Evidence.Note != "" {
			notes = append(notes, line(s, s.Evidence.Note))
		}
	}
	if r.Steps == nil { // a row made without its steps: the ids
		failed, skipped = r.FailedSteps, r.SkippedSteps
	}
	return
}

// WriteCSV writes the table as CSV for a spreadsheet in lang: UTF-8 with
// a byte order mark (so that accents read right), fields separated by ";"
// (CSVSeparator), a header row in lang, then one row per report: times in
// RFC 3339 (UTC), durations in seconds (the columns say so) with lang's
// decimal mark (a comma in French: a spreadsheet set to French reads
// "754.321" as text), booleans in the spreadsheet's words for lang (VRAI
// or FAUX, TRUE or FALSE; empty when unknown), steps by their titles in
// lang and answers in lang, several in a cell separated by " | ".
// Reports come from colleagues' files and are opened in spreadsheets, some
// splitting on ";" and some on ",": a cell holding either is quoted, and
// text a spreadsheet could run as a formula (= + - @ tab or CR at the
// start of the cell, or after a ";", ",", quote or line break inside it,
// where a spreadsheet splitting on the other separator starts a cell) is
// prefixed with a quote (safeCell).
func (t Table) WriteCSV(w io.Writer, lang string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("drills: csv: %w", err)
	}
	cw := newCSVWriter(w)
	header := make([]string, len(csvColumns))
	for i, k := range csvColumns {
		header[i] = i18n.T(lang, k)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("drills: csv: %w", err)
	}
	rec := make([]string, len(csvColumns))
	truth := func(b bool) string {
		if b {
			return i18n.T(lang, "drills.table.csv_true")
		}
		return i18n.T(lang, "drills.table.csv_false")
	}
	for _, r := range t.Rows {
		rec[0] = safeCell(r.RunID)
		rec[1] = safeCell(r.Participant)
		rec[2] = safeCell(r.DrillID)
		rec[3] = safeCell(r.DrillTitle.In(lang))
		rec[4] = r.Started.UTC().Format(time.RFC3339)
		rec[5] = truth(r.Completed)
		rec[6] = ""
		if r.TimeToOperationalMS != nil {
			rec[6] = seconds(lang, *r.TimeToOperationalMS)
		}
		rec[7] = seconds(lang, r.RTOMS)
		rec[8] = ""
		if r.WithinRTO != nil {
			rec[8] = truth(*r.WithinRTO)
		}
		failed, skipped, reasons, answers, notes := stepWords(r, lang)
		rec[9] = safeCell(strings.Join(failed, " | "))
		rec[10] = safeCell(strings.Join(skipped, " | "))
		rec[11] = safeCell(strings.Join(reasons, " | "))
		rec[12] = safeCell(strings.Join(answers, " | "))
		rec[13] = safeCell(strings.Join(notes, " | "))
		rec[14] = safeCell(r.Feedback)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("drills: csv: %w", err)
		}
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("drills: csv: %w", err)
	}
	return nil
}

// csvWriter writes records separated by CSVSeparator, one a line ("\n"),
// as encoding/csv does, except that a field holding "," is quoted too
// (encoding/csv quotes only its own separator): a spreadsheet that splits
// on "," keeps it in one cell. A write error is kept: Flush returns it.
type csvWriter struct{ w *bufio.Writer }

func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{w: bufio.NewWriter(w)} }

func (c *csvWriter) Write(rec []string) error {
	for i, f := range rec {
		if i > 0 {
			c.w.WriteByte(CSVSeparator)
		}
		if !csvNeedsQuotes(f) {
			c.w.WriteString(f)
			continue
		}
		c.w.WriteByte('"')
		c.w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		c.w.WriteByte('"')
	}
	return c.w.WriteByte('\n')
}

func (c *csvWriter) Flush() error { return c.w.Flush() }

// csvNeedsQuotes: a field holding either separator, a quote or a line
// break, or starting with a space (some readers trim it otherwise).
func csvNeedsQuotes(f string) bool {
	return f != "" && (strings.ContainsAny(f, ";,\"\r\n") || f[0] == ' ')
}

// seconds writes milliseconds as seconds, to the millisecond, with lang's
// decimal mark and no thousands separator: "754,321" in French, "754.321"
// in English, "600" in both.
func seconds(lang string, ms float64) string {
	return i18n.Decimal(lang, math.Round(ms)/1000, 3)
}

// safeCell keeps a spreadsheet from reading a cell, or any part of it, as
// a formula: text that starts with = + - @ tab or CR (after spaces) is
// prefixed with a quote, at the start of the cell and after every ";",
// ",", quote or line break in it. A spreadsheet that splits on the other
// separator than the file's ("," instead of ";") does not see the quotes
// around a cell and starts a new cell, or a new row, at any of these.
func safeCell(s string) string {
	var b strings.Builder
	start := true // at a place a spreadsheet may start a cell
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start && c != ' ' && strings.IndexByte(formulaStarts, c) >= 0 {
			b.WriteByte('\'')
		}
		b.WriteByte(c)
		switch {
		case strings.IndexByte(cellStarts, c) >= 0:
			start = true
		case c != ' ':
			start = false
		}
	}
	return b.String()
}

const (
	formulaStarts = "=+-@\t\r" // what a spreadsheet runs as a formula at the start of a cell
	cellStarts    = ";,\"\r\n" // after which a spreadsheet may start a cell
)

// tableView is what the table's page shows, words already in its language.
type tableView struct {
	Lang, Title, Count string
	Head               []string
	Rows               []tableRow
	CSS                template.CSS
}

type tableRow struct {
	OK                                                             bool
	Participant, DrillTitle, DrillID, Started, Completed, TTO, RTO string
	Within, RunID                                                  string
	Failed, Skipped, Reasons, Answers, Notes                       []string
	Feedback                                                       string
}

var tablePage = template.Must(template.New("table").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body class="wide">
<h1>{{.Title}}</h1>
<p>{{.Count}}</p>
<div class="scroll">
<table>
<thead><tr>{{range .Head}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr class="{{if .OK}}ok{{else}}ko{{end}}"><td>{{.Participant}}<br><small>{{.RunID}}</small></td><td>{{.DrillTitle}}<br><small>{{.DrillID}}</small></td><td class="num">{{.Started}}</td><td>{{.Completed}}</td><td class="num">{{.TTO}}<br><small>{{.RTO}}</small></td><td>{{.Within}}</td><td>{{template "list" .Failed}}</td><td>{{template "list" .Skipped}}{{template "list" .Reasons}}</td><td>{{template "list" .Answers}}</td><td>{{template "list" .Notes}}{{if .Feedback}}<blockquote>{{.Feedback}}</blockquote>{{end}}</td></tr>
{{end}}</tbody>
</table>
</div>
</body>
</html>
{{define "list"}}{{if .}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}{{end}}`))

// WriteHTML writes the table as one self-contained page in lang (no
// script, no outside resource; every text from the reports escaped).
func (t Table) WriteHTML(w io.Writer, lang string) error {
	lang = i18n.Normalize(lang)
	v := tableView{
		Lang: lang, Title: i18n.T(lang, "drills.table.title"), Count: i18n.T(lang, "drills.table.count", len(t.Rows)),
		CSS: pageCSS, Rows: make([]tableRow, 0, len(t.Rows)),
	}
	for _, k := range []string{"participant", "drill_id", "started", "completed", "tto", "within_rto", "failed_steps",
		"skipped_steps", "answers", "notes"} {
		v.Head = append(v.Head, i18n.T(lang, "drills.table.col."+k))
	}
	yes, no, none := i18n.T(lang, "drills.yes"), i18n.T(lang, "drills.no"), "—"
	word := func(b bool) string {
		if b {
			return yes
		}
		return no
	}
	for _, r := range t.Rows {
		row := tableRow{
			OK: r.Completed, Participant: orWord(r.Participant, i18n.T(lang, "drills.report.unnamed")),
			DrillTitle: r.DrillTitle.In(lang), DrillID: r.DrillID, Started: localTime(r.Started),
			Completed: word(r.Completed), TTO: none, RTO: i18n.T(lang, "drills.table.objective", i18n.Duration(lang, fromMS(r.RTOMS))),
			Within: none, RunID: r.RunID, Feedback: r.Feedback,
		}
		row.Failed, row.Skipped, row.Reasons, row.Answers, row.Notes = stepWords(r, lang)
		if r.TimeToOperationalMS != nil {
			row.TTO = i18n.Duration(lang, fromMS(*r.TimeToOperationalMS))
		}
		if r.WithinRTO != nil {
			row.Within = word(*r.WithinRTO)
		}
		v.Rows = append(v.Rows, row)
	}
	if err := tablePage.Execute(w, v); err != nil {
		return fmt.Errorf("drills: table: %w", err)
	}
	return nil
}

func orWord(s, instead string) string {
	if strings.TrimSpace(s) == "" {
		return instead
	}
	return s
}

// localTime is a moment as a person reads it: the laptop's time zone, to
// the minute, with the zone.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04 MST")
}

// pageCSS styles the report and the table: readable printed or on screen,
// no outside resource.
const pageCSS = template.CSS(`body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.45}
body.wide{max-width:none;margin:1rem auto;font-size:.9rem}.scroll{overflow-x:auto}body.wide td{overflow-wrap:anywhere}
h1{font-size:1.6rem;margin-bottom:.25rem}h2{font-size:1.2rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.2rem}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{border:1px solid #c8c8c8;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}tr.ok td:first-child{border-left:4px solid #2e7d32}tr.ko td:first-child{border-left:4px solid #c62828}
.done{color:#2e7d32;font-weight:600}.failed{color:#c62828;font-weight:600}.skipped{color:#8a5a00;font-weight:600}.open{color:#555}
.good{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.over{color:#8a5a00}
.num{white-space:nowrap}ul{margin:0;padding-left:1.1rem}small{color:#555}footer{margin-top:2rem;color:#555;font-size:.85rem;overflow-wrap:anywhere}
blockquote{margin:0;padding:.5rem 1rem;border-left:4px solid #c8c8c8;white-space:pre-wrap}`)
