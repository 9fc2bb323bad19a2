package drills

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"relais/internal/testenv"
)

// The page "Enregistrer le rapport" writes is also a report file: the
// ambassadors' import reads it back, exactly, whatever the participant
// typed (a "</script>" included).
func TestHTMLReportReadsBack(t *testing.T) {
	rep := sampleReport(t)
	rep.Participant = `Camille </script><script>alert(1)</script>`
	rep.Feedback = "Très bien & « clair »"
	var page bytes.Buffer
	if err := rep.HTML(&page, "fr"); err != nil {
		t.Fatal(err)
	}
	checkPage(t, page.Bytes())
	got, err := ReadReport(page.Bytes())
	if err != nil {
		t.Fatalf("the saved page does not read back: %v", err)
	}
	js, _ := rep.JSON()
	want, err := ParseReport(js)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back:\n%+v\nwant\n%+v", got, want)
	}
	// The JSON reads too, with or without a byte order mark.
	for _, b := range [][]byte{js, append([]byte("\ufeff"), js...)} {
		if _, err := ReadReport(b); err != nil {
			t.Errorf("JSON: %v", err)
		}
	}
}

// A file that is not a report is refused with a code a front end words,
// never with the decoder's message alone.
func TestReadReportCodes(t *testing.T) {
	rep := sampleReport(t)
	js, _ := rep.JSON()
	newer := bytes.Replace(js, []byte(`"schema": 1`), []byte(`"schema": 2`), 1)
	newerField := bytes.Replace(newer, []byte(`"run_id"`), []byte(`"new_field": 1, "run_id"`), 1)
	for _, tc := range []struct {
		name string
		b    []byte
		code string
	}{
		{"web page", []byte("<!DOCTYPE html><html><body><p>Bonjour</p></body></html>"), ReportNotReport},
		{"other JSON", []byte(`{"rows": []}`), ReportNotReport},
		{"spreadsheet", []byte("Exécution;Participant\nrun-1;Camille\n"), ReportNotReport},
		{"newer Relais", newer, ReportNewer},
		{"newer Relais, new field", newerField, ReportNewer},
		{"too large", bytes.Repeat([]byte(" "), MaxReportSize+1), ReportTooLarge},
	} {
		_, err := ReadReport(tc.b)
		var re *ReportError
		if !errors.As(err, &re) || re.Code != tc.code || !errors.Is(err, ErrBadReport) {
			t.Errorf("%s: %v, want code %s", tc.name, err, tc.code)
		}
	}
}

// The table is for people: step titles, not ids; skip reasons, answers
// (recorded as the choice's index, shown in the reader's language),
// remarks and the final comment.
func TestTableWords(t *testing.T) {
	rep := sampleReport(t) // answered in French: choice 2, "Non"
	tab := Summarize([]Report{rep})
	var buf bytes.Buffer
	if err := tab.WriteCSV(&buf, "en"); err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff"))))
	cr.Comma = CSVSeparator
	recs, err := cr.ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, recs)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	var q, skipped ReportStep
	for _, s := range rep.Steps {
		if len(s.Choices) > 0 {
			q = s
		}
		if s.SkipReason != "" {
			skipped = s
		}
	}
	if q.ID == "" || skipped.ID == "" {
		t.Fatal("the sample has no question with choices or no skip reason")
	}
	for col, want := range map[string]string{
		"Answers":                q.Title.EN + ": " + q.Choices[*q.Evidence.Choice].EN,
		"Why steps were skipped": skipped.Title.EN + ": " + skipped.SkipReason,
		"Skipped steps":          skipped.Title.EN,
		"Final comment":          rep.Feedback,
	} {
		if !strings.Contains(row[col], want) {
			t.Errorf("%s: %q, want it to hold %q", col, row[col], want)
		}
	}
	if strings.Contains(row["Answers"], q.Evidence.Answer+" ") || strings.Contains(row["Skipped steps"], skipped.ID) {
		t.Errorf("ids or the participant's language in the English table: %q", row)
	}
	var page bytes.Buffer
	if err := tab.WriteHTML(&page, "fr"); err != nil {
		t.Fatal(err)
	}
	all := text(checkPage(t, page.Bytes()))
	for _, want := range []string{q.Title.FR + " : " + q.Choices[*q.Evidence.Choice].FR, skipped.Title.FR + " : " + skipped.SkipReason, rep.Feedback} {
		if !strings.Contains(all, want) {
			t.Errorf("the HTML table lacks %q", want)
		}
	}
}

// The CSV opens right in a spreadsheet set to the reader's language:
// LibreOffice reads it with ";" between fields and UTF-8 in that language,
// every text cell comes back as written (accents, quotes, separators inside
// cells, the formula guard), and the durations and yes/no columns come
// back as numbers and booleans it computes on (in French, "754.321" would
// be text and "true" a word).
func TestCSVReadBackByLibreOffice(t *testing.T) {
	soffice := testenv.NeedTools(t, "soffice")[0]
	g := generateReports(40, 0)
	g.finals[1].Participant = "Zoé « Ç'est ; bon » \"ok\""
	g.finals[2].Feedback = "Ligne 1\nLigne 2 ; très clair"
	tab := Summarize(g.finals)
	// The locale LibreOffice reads each language's CSV in (a Windows
	// language id): French (France), English (United States).
	for lang, locale := range map[string]string{"fr": "1036", "en": "1033"} {
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "tableau.csv")
			var buf bytes.Buffer
			if err := tab.WriteCSV(&buf, lang); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			// Open it as a spreadsheet in that language does (";", '"',
			// UTF-8), save it as a workbook, then the workbook as a plain
			// CSV to compare: ",", UTF-8, numbers and booleans in English,
			// every text cell quoted (a number or a boolean is not).
			run := func(args ...string) {
				t.Helper()
				cmd := exec.Command(soffice, append([]string{"--headless", "--norestore", "-env:UserInstallation=file://" + filepath.Join(dir, "lo")}, args...)...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "HOME="+dir)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("soffice %v: %v\n%s", args, err, out)
				}
			}
			run("--infilter=CSV:59,34,76,1,,"+locale, "--convert-to", "xlsx", "--outdir", filepath.Join(dir, "x"), in)
			run("--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true", "--outdir", filepath.Join(dir, "y"), filepath.Join(dir, "x", "tableau.xlsx"))
			back, err := os.ReadFile(filepath.Join(dir, "y", "tableau.csv"))
			if err != nil {
				t.Fatal(err)
			}
			got, quoted, err := readQuoted(back)
			if err != nil {
				t.Fatalf("LibreOffice's CSV: %v\n%s", err, back)
			}
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff"))))
			cr.Comma = CSVSeparator
			want, err := cr.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows back, want %d", len(got), len(want))
			}
			numbers, booleans := map[int]bool{6: true, 7: true}, map[int]bool{5: true, 8: true}
			for i := range want {
				for j := range want[i] {
					w := want[i][j]
					if j >= len(got[i]) {
						t.Fatalf("row %d: %d cells back, want %d: %q", i, len(got[i]), len(want[i]), got[i])
					}
					g := got[i][j]
					switch {
					case i == 0 || w == "" || !numbers[j] && !booleans[j]:
						if g != w {
							t.Errorf("row %d, column %q: %q back, wrote %q", i, want[0][j], g, w)
						}
					case quoted[i][j]:
						t.Errorf("row %d, column %q: %q read as text", i, want[0][j], w)
					case numbers[j]:
						a, err1 := strconv.ParseFloat(g, 64)
						b, err2 := strconv.ParseFloat(strings.Replace(w, ",", ".", 1), 64)
						if err1 != nil || err2 != nil || a != b {
							t.Errorf("row %d, column %q: %q back, wrote %q: not read as the number", i, want[0][j], g, w)
						}
					default:
						if truth := map[string]string{"VRAI": "TRUE", "FAUX": "FALSE", "TRUE": "TRUE", "FALSE": "FALSE"}[w]; g != truth || truth == "" {
							t.Errorf("row %d, column %q: %q back, wrote %q: not read as a boolean", i, want[0][j], g, w)
						}
					}
				}
			}
		})
	}
}

// readQuoted reads a CSV (",", '"'), saying of each field whether it was
// quoted.
func readQuoted(b []byte) (rows [][]string, quoted [][]bool, err error) {
	var row []string
	var q []bool
	for i := 0; i < len(b); {
		var field strings.Builder
		isQuoted := b[i] == '"'
		if isQuoted {
			for i++; ; i++ {
				if i >= len(b) {
					return nil, nil, errors.New("a quoted field is not closed")
				}
				if b[i] == '"' {
					if i+1 < len(b) && b[i+1] == '"' {
						field.WriteByte('"')
						i++
						continue
					}
					i++
					break
				}
				field.WriteByte(b[i])
			}
		} else {
			for ; i < len(b) && b[i] != ',' && b[i] != '\n' && b[i] != '\r'; i++ {
				field.WriteByte(b[i])
			}
		}
		row, q = append(row, field.String()), append(q, isQuoted)
		switch {
		case i < len(b) && b[i] == ',':
			i++
			if i == len(b) {
				row, q = append(row, ""), append(q, false)
			}
			continue
		case i < len(b) && b[i] == '\r':
			i++
		}
		if i < len(b) && b[i] == '\n' {
			i++
		} else if i < len(b) {
			return nil, nil, fmt.Errorf("unexpected %q after a field", b[i])
		}
		rows, quoted, row, q = append(rows, row), append(quoted, q), nil, nil
	}
	if row != nil {
		rows, quoted = append(rows, row), append(quoted, q)
	}
	return rows, quoted, nil
}

// ReadReport takes anything: a report's JSON or page comes back, the rest
// is a *ReportError; what it accepts renders in both forms and its table
// writes, for any text in it.
func FuzzReadReport(f *testing.F) {
	rep := sampleReport(f)
	js, _ := rep.JSON()
	var page bytes.Buffer
	if err := rep.HTML(&page, "fr"); err != nil {
		f.Fatal(err)
	}
	f.Add(js)
	f.Add(page.Bytes())
	f.Add([]byte(`<html><script type="application/json" id="relais-report">{"schema":1,"run_id":"r","drill_id":"d"}</script>`))
	f.Add([]byte(`<script type="application/json" id="relais-report">{"schema":1`))
	f.Add([]byte("\ufeff{\"schema\":2,\"x\":1}"))
	f.Add([]byte(`{"schema":1,"run_id":"r","drill_id":"d","steps":[{"id":"q","state":"done","choices":[{"fr":"Oui","en":"Yes"}],"evidence":{"choice":7}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadReport(b)
		if err != nil {
			var re *ReportError
			if !errors.As(err, &re) || !errors.Is(err, ErrBadReport) || re.Code == "" {
				t.Fatalf("error %v is not a coded ReportError", err)
			}
			return
		}
		var out bytes.Buffer
		if err := r.HTML(&out, "en"); err != nil {
			t.Fatalf("HTML of an accepted report: %v", err)
		}
		back, err := ReadReport(out.Bytes())
		if err != nil || back.RunID != r.RunID {
			t.Fatalf("its page does not read back: %v", err)
		}
		tab := Summarize([]Report{*r})
		out.Reset()
		if err := tab.WriteCSV(&out, "fr"); err != nil {
			t.Fatal(err)
		}
		for _, s := range r.Steps {
			_ = s.AnswerIn("en")
		}
	})
}
