package diag

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"relais/internal/diag/bundle"

	"golang.org/x/net/html"
)

// craftedBundle is the sample bundle in lang, opened, with network.json's
// gateways answering (one in 2 ms, one in 1.5 s), system.json's uptime at
// 3 days 4 hours and a setting turned on.
func craftedBundle(t *testing.T, lang string) *Bundle {
	t.Helper()
	in, _ := sampleInput(t)
	in.Language = lang
	in.Settings["autostart"] = "true"
	raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: append(defaultCollectors(fakeSources()), failingCollector("x"))})
	b, err := Open(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(name, key string, v any) {
		var facts map[string]fileFact
		if err := json.Unmarshal(b.Files[name], &facts); err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(v)
		facts[key] = fileFact{Value: js}
		if b.Files[name], err = json.Marshal(facts); err != nil {
			t.Fatal(err)
		}
	}
	edit(bundle.NameNetwork, "gateway", []bundle.GatewayProbe{
		{Address: "192.168.100.1", Iface: "eth0", Method: "ping", Reachable: true, RTTMS: 2},
		{Address: "10.0.0.1", Iface: "wlan0", Method: "tcp", Reachable: true, RTTMS: 1508},
	})
	edit(bundle.NameSystem, "uptime", 3*86400+4*3600+60)
	return b
}

// pageText is summary.html's visible text, without the log (log.txt's
// lines, as written) and a string for each part: the verdict's header,
// and each table cell by column header.
func pageText(t *testing.T, page []byte) (all, header string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b, h strings.Builder
	var walk func(n *html.Node, inHeader bool)
	walk = func(n *html.Node, inHeader bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "style", "title", "pre":
				return
			case "header":
				inHeader = true
			}
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data + " ")
			if inHeader {
				h.WriteString(n.Data + " ")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inHeader)
		}
	}
	walk(doc, false)
	return b.String(), h.String()
}

// summary.html words what it shows in the page's language: durations as
// a person reads them ("1,5 s", "3 j 4 h"; never "1508 ms"), a check's
// error under "Détails", the apps by name, the tunnel's path, interface
// and route flags, the gateway's method and the settings in words; the
// verdict's header names the collectors that failed without their raw
// errors (those stay in their section).
func TestSummaryHTMLWordsInLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang      string
		want, not []string
	}{
		{"fr", []string{
			"| 3 s |", "| 2,5 s |", "| moins de 0,1 s |", "| — | Bloquée. |", // check durations (the blocked check never ran)
			"oui (moins de 0,1 s)", "oui (1,5 s)", // gateways
			"3 j 4 h", "il y a 12 s", "42 s", // uptime, last handshake, time to operational
			"Le serveur de paie ne répond pas. Détails : Get ",     // the check's error, under Détails
			"| paie-web · HTTP · par le tunnel |", "| Paie | 20 |", // the check's path, the app by name
			"active boucle locale", "| ping |", "| connexion TCP |",
			"Mode du tunnel | mode automatique", "Langue | français", "Lancement à l'ouverture de session | oui",
		}, []string{" ms ", " ms)", "[Get", "true", "false", "up loopback", "tunnel_mode", "| paie |", "· http ·", "· tunnel |", "min 0"}},
		{"en", []string{
			"| 3 s |", "| 2.5 s |", "| under 0.1 s |", "| — | Blocked. |",
			"yes (under 0.1 s)", "yes (1.5 s)",
			"3 d 4 h", "12 s ago", "42 s",
			"The payroll server does not answer. Details: Get ",
			"| paie-web · HTTP · through the tunnel |", "| Payroll | 20 |",
			"up loopback", "| ping |", "| TCP connection |",
			"Tunnel mode | automatic mode", "Language | French", "Start at log-in | yes",
		}, []string{" ms ", " ms)", "[Get", "true", "false", "tunnel_mode", "| paie |", "· http ·", "· tunnel |", "1,5 s", "min 0"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := craftedBundle(t, tc.lang)
			page, err := bundle.SummaryHTML(b, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			all, header := pageText(t, cellsMarked(page))
			all = strings.Join(strings.Fields(all), " ")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, w := range tc.not {
				if i := strings.Index(all, w); i >= 0 {
					t.Errorf("the page shows %q: …%s…", w, all[max(0, i-80):min(len(all), i+60)])
				}
			}
			// What is read first names the failed collectors, in words
			// when it has them; their errors are in their section.
			if strings.Contains(header, "refused") || !strings.Contains(header, "network.vpn") {
				t.Errorf("the header: %s", header)
			}
			if !strings.Contains(all, "refused") {
				t.Error("the failed collector's error is not in its section")
			}
			// No milliseconds, no raw rule syntax, no zero date anywhere
			// ([REDACTED] is where a secret was).
			if m := regexp.MustCompile(`\d ms\b|\[[A-Z_]{3,}\]|0001-01-01`).FindString(strings.ReplaceAll(all, "[REDACTED]", "")); m != "" {
				t.Errorf("the page shows %q", m)
			}
		})
	}
	// The text summary (diag open, the app's viewer) keeps each failed
	// collector's error, under Détails, after the line that names them.
	b := craftedBundle(t, "fr")
	s := Summary(b, "fr")
	if !strings.Contains(s, "Collectes en échec : network.vpn.") || !strings.Contains(s, "network.vpn. Détails : GET ") {
		t.Errorf("text summary:\n%s", s)
	}
}

// cellsMarked puts a "|" around table cells and between definition terms
// and their values ("| a | b |", "term | value |"), so that a test can
// tell a cell from its neighbour.
func cellsMarked(page []byte) []byte {
	r := strings.NewReplacer("<tr>", "<tr>| ", "</td>", " |</td>", "</dt>", " |</dt>", "</dd>", " |</dd>")
	return []byte(r.Replace(string(page)))
}
