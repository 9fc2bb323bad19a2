package diag

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"relais/internal/diag/bundle"
	"relais/internal/engine"
	"relais/internal/i18n"
)

// summary.html's timeline says each step in the reader's words: the phases
// ("en cours de connexion", "en échec"), the time to operational ("42 s"),
// the profile's serial and the tunnel's server, never the engine's codes
// ("connecting", "checking", "failed", "42s", "serial 7", "endpoint …").
func TestSummaryTimelineInWords(t *testing.T) {
	in, _ := sampleInput(t)
	at := testNow.Add(-10 * time.Minute)
	tto := int64(1500) // as this Relais records it; the 42s entry is an older Relais's
	in.Snapshot.Timeline = []engine.TimelineEntry{
		{At: at, Kind: engine.EventStarted},
		{At: at, Kind: engine.EventProfileLoaded, Detail: "serial 7"},
		{At: at, Kind: engine.EventPhase, Detail: "connecting"},
		{At: at, Kind: engine.EventTunnelStarting},
		{At: at, Kind: engine.EventTunnelUp, Detail: "endpoint 203.0.113.5:51820"},
		{At: at, Kind: engine.EventTunnelEndpoint, Detail: "endpoint vpn-secours.example.org:51820 (192.0.2.7:51820)"},
		{At: at, Kind: engine.EventPhase, Detail: "checking"},
		{At: at, Kind: engine.EventChecking},
		{At: at, Kind: engine.EventReport, Detail: "operational"},
		{At: at, Kind: engine.EventOperational, Detail: (42 * time.Second).String()},
		{At: at, Kind: engine.EventOperational, DurationMS: &tto},
		{At: at, Kind: engine.EventPhase, Detail: "failed"},
		{At: at, Kind: engine.EventPhase, Detail: "degraded"},
	}
	for _, tc := range []struct {
		lang string
		want []string
		raw  []string
	}{
		{"fr", []string{"en cours de connexion", "vérification en cours", "opérationnel", "en échec", "lent", "série 7", "serveur ", "changement de serveur", "42 s", "1,5 s"},
			[]string{"connecting", "checking", "failed", "degraded", "42s", "serial", "endpoint"}},
		{"en", []string{"connecting", "checking", "operational", "failed", "slow", "serial 7", "server ", "server changed", "42 s", "1.5 s"},
			[]string{"42s", "endpoint", "degraded"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			in.Language = tc.lang
			raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: defaultCollectors(fakeSources())})
			doc, err := html.Parse(strings.NewReader(string(unzip(t, raw)[bundle.NameSummary])))
			if err != nil {
				t.Fatal(err)
			}
			cells := timelineCells(doc, i18n.T(tc.lang, "diag.tunnel.timeline"))
			if len(cells) == 0 {
				t.Fatal("no timeline in summary.html")
			}
			all := strings.Join(cells, " | ")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("timeline lacks %q: %s", w, all)
				}
			}
			for _, c := range cells {
				for _, r := range tc.raw {
					if strings.Contains(c, r) {
						t.Errorf("timeline shows the code %q: %q", r, c)
					}
				}
			}
		})
	}
}

// timelineCells are the texts of the cells (not the time) of the table
// captioned caption.
func timelineCells(doc *html.Node, caption string) []string {
	var out []string
	var find func(*html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "table" {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.Data == "caption" && strings.TrimSpace(text(c)) == caption {
					var rows func(*html.Node)
					rows = func(m *html.Node) {
						if m.Type == html.ElementNode && m.Data == "tr" {
							i := 0
							for td := m.FirstChild; td != nil; td = td.NextSibling {
								if td.Type == html.ElementNode && td.Data == "td" {
									if i > 0 {
										out = append(out, strings.TrimSpace(text(td)))
									}
									i++
								}
							}
						}
						for k := m.FirstChild; k != nil; k = k.NextSibling {
							rows(k)
						}
					}
					rows(n)
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	return out
}
