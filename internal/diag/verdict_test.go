package diag

import (
	"encoding/json"
	"html/template"
	"strings"
	"testing"
	"time"

	"relais/internal/diag/bundle"
	"relais/internal/engine/verdicttest"
)

// A bundle's summary (`relais diag open`) and summary.html say the
// verdict of the recorded state with the same sentence as the app and
// `relais status` (verdicttest), in French and in English; where some
// essential app does not answer, never "en échec".
func TestBundleSaysTheOneVerdict(t *testing.T) {
	for _, c := range verdicttest.Cases(time.Now()) {
		s := c.Snap
		tf, err := json.Marshal(newTunnelFile(&s, ""))
		if err != nil {
			t.Fatal(err)
		}
		cf, err := json.Marshal(bundle.ChecksFile{LastReport: s.Report})
		if err != nil {
			t.Fatal(err)
		}
		b := &Bundle{Manifest: Manifest{CaseCode: "RLS-7K3M-Q9TD"}, Files: map[string][]byte{bundle.NameTunnel: tf, bundle.NameChecks: cf}}
		for _, l := range []string{"fr", "en"} {
			sum := Summary(b, l)
			if !strings.Contains(sum, "\n"+c.Text(l)+"\n") {
				t.Errorf("%s %s: the summary does not say %q:\n%s", l, c.Name, c.Text(l), sum)
			}
			page, err := bundle.SummaryHTML(b, l)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(page), "<h1>"+template.HTMLEscapeString(c.Text(l))+"</h1>") {
				t.Errorf("%s %s: summary.html's heading is not %q", l, c.Name, c.Text(l))
			}
			if strings.Contains(c.Name, "of three") && c.Name != "none of three" {
				for _, bad := range verdicttest.Contradictions {
					if strings.Contains(sum, bad) || strings.Contains(string(page), bad) {
						t.Errorf("%s %s: the bundle says %q", l, c.Name, bad)
					}
				}
			}
		}
	}
}
