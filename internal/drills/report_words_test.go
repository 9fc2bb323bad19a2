package drills

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// What a person reads first in the report page is words: the drill and the
// steps by their titles, the actions Relais did in a sentence, the reason a
// check failed in words, durations in the reader's locale. The codes
// ("tunnel_up", "open_link:…", "code_failed", the drill's id) stay in the
// JSON data block only.
func TestReportHTMLWordsNotCodes(t *testing.T) {
	rep := sampleReport(t)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"fr", []string{"Exercice d'automne 2026 : sinistre du siège", "Relais a activé le mode urgence.",
			"Relais a ouvert le lien « portail-urgence ».", "dans l'objectif de 30 min"}},
		{"en", []string{"Autumn 2026 drill: head office disaster", "Relais turned Mode urgence on.",
			"Relais opened the link “portail-urgence”.", "within the objective of 30 min"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := rep.HTML(&buf, tc.lang); err != nil {
				t.Fatal(err)
			}
			all := shownText(checkPage(t, buf.Bytes()))
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			// The visible text, without the data block (a script element).
			for _, code := range []string{"tunnel_up", "open_link:", "run_checks", "code_failed", "automne-2026",
				"checks_failed", "action_failed", "min 00 s", " ms"} {
				if strings.Contains(all, code) {
					i := strings.Index(all, code)
					t.Errorf("page shows the code %q: …%s…", code, all[max(0, i-60):min(len(all), i+40)])
				}
			}
		})
	}
}

// shownText is the text a reader sees: not scripts (the data block) nor
// styles.
func shownText(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "title") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}
