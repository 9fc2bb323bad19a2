package diag

import (
	"bytes"
	"context"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"relais/internal/checks"
	"relais/internal/diag/bundle"
	"relais/internal/engine"
	"relais/internal/i18n"
	"relais/internal/testenv"
)

// sampleSummary is summary.html of the sample bundle in lang, with markup
// planted in a drill note and an app name.
func sampleSummary(t testing.TB, lang string) []byte {
	t.Helper()
	in, _ := sampleInput(t)
	in.Language = lang
	in.Snapshot.Report.Apps[3].Name.FR = `Intranet <script>alert(1)</script>`
	in.Snapshot.Report.Apps[3].Name.EN = `Intranet <img src=x onerror=alert(1)>`
	raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: append(defaultCollectors(fakeSources()), failingCollector("x"))})
	return unzip(t, raw)[bundle.NameSummary]
}

// text is the visible text of a node.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && (n.Data == "style" || n.Data == "title") {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// checkVerdictFirst checks a page's DOM: the first heading is the verdict,
// and the failing apps and why come before any detail section.
func checkVerdictFirst(t *testing.T, lang string, doc *html.Node) {
	t.Helper()
	var h1, firstH2 *html.Node
	var before strings.Builder
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "h1":
				if h1 == nil {
					h1 = n
				}
			case "h2":
				firstH2 = n
				return false
			case "style", "title", "head":
				return true
			}
		}
		if n.Type == html.TextNode {
			before.WriteString(n.Data + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(doc)
	if h1 == nil || firstH2 == nil {
		t.Fatalf("%s: no h1 or h2", lang)
	}
	want := map[string][]string{
		"fr": {"Vous êtes connecté à l'environnement d'urgence, mais aucune des 2 applications essentielles ne répond.", "Ne fonctionne pas : Paie, Messagerie.", "Le serveur de paie ne répond pas.", "Fonctionne, mais lentement : Agenda."},
		"en": {"You are connected to the emergency environment, but none of its 2 essential applications answers.", "Not working: Payroll, Email.", "The payroll server does not answer.", "Working, but slowly: Calendar."},
	}[lang]
	if got := strings.TrimSpace(text(h1)); got != want[0] {
		t.Errorf("%s: first heading %q, want %q", lang, got, want[0])
	}
	intro := before.String()
	last := -1
	for _, w := range want {
		i := strings.Index(intro, w)
		if i < 0 {
			t.Errorf("%s: %q is not before the details:\n%s", lang, w, intro)
		}
		if i < last {
			t.Errorf("%s: %q out of order", lang, w)
		}
		last = i
	}
}

// summary.html stands alone (no script, no outside resource), escapes
// what it shows, and reads the verdict first, in either language.
func TestSummaryHTML(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		page := sampleSummary(t, lang)
		doc, err := html.Parse(bytes.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "script", "img", "link", "iframe", "object", "embed", "base", "form":
					t.Errorf("%s: <%s> in the page", lang, n.Data)
				case "html":
					if len(n.Attr) == 0 || n.Attr[0].Key != "lang" || n.Attr[0].Val != lang {
						t.Errorf("%s: html lang %v", lang, n.Attr)
					}
				}
				for _, a := range n.Attr {
					if a.Key == "src" || a.Key == "href" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("%s: <%s %s=%q>", lang, n.Data, a.Key, a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if bytes.Contains(page, []byte("url(")) || bytes.Contains(page, []byte("@import")) {
			t.Errorf("%s: the CSS loads something", lang)
		}
		checkVerdictFirst(t, lang, doc)
		if planted := map[string]string{"fr": "Intranet <script>alert(1)</script>", "en": "Intranet <img src=x onerror=alert(1)>"}[lang]; !strings.Contains(text(doc), planted) {
			t.Errorf("%s: the app's name is not shown as text", lang)
		}
		drill := map[string]string{"fr": "Exercice d'automne", "en": "Autumn drill"}[lang]
		for _, want := range []string{"RLS-7K3M-Q9TD", "network.vpn", "[IP-PUB-1]:51820", "paie-web", "Debian GNU/Linux 12", "[MAC-1]", drill, "1 h 2 min", "Intranet"} {
			if !strings.Contains(text(doc), want) {
				t.Errorf("%s: the details lack %q", lang, want)
			}
		}
	}
}

// Every diag.* message key the sources use is in both catalogues, and so
// is the word for every code the page puts into words.
func TestCatalogueHasEveryKey(t *testing.T) {
	fr, _ := i18n.Catalog(i18n.FR)
	en, _ := i18n.Catalog(i18n.EN)
	srcs, _ := filepath.Glob("*.go")
	words, _ := filepath.Glob(filepath.Join("bundle", "*.go")) // the summaries
	srcs = append(srcs, words...)
	key := regexp.MustCompile(`"(diag\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"`)
	var keys []string
	for _, s := range srcs {
		if strings.HasSuffix(s, "_test.go") {
			continue
		}
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	keys = append(keys, "diag.state.pending", "diag.crit.essential", "diag.crit.important", "diag.crit.optional", "diag.builtin.tunnel", "diag.builtin.internet", "diag.builtin.captive",
		"diag.signature.valid", "diag.signature.invalid", "diag.signature.not_checked", "diag.level.none", "diag.level.standard", "diag.level.strict",
		"diag.tunnel.mode.userspace", "diag.tunnel.mode.system", "diag.run.active", "diag.run.completed", "diag.event.started", "diag.event.stopped", "diag.reason.timeout")
	// Every code the page words by prefix: the engine's events and
	// phases, the checks' reasons, kinds and ways, the network's flags and
	// probes, the settings the desk records, the collectors.
	for _, e := range []string{engine.EventStarted, engine.EventProfileLoaded, engine.EventProfileUpdated, engine.EventSyncFailed,
		engine.EventTunnelStarting, engine.EventTunnelUp, engine.EventTunnelReused, engine.EventTunnelFailed, engine.EventTunnelEndpoint, engine.EventChecking,
		engine.EventReport, engine.EventPhase, engine.EventOperational, engine.EventNetworkChanged, engine.EventStopped} {
		keys = append(keys, "diag.event."+e)
	}
	for _, p := range []engine.Phase{engine.PhaseIdle, engine.PhaseConnecting, engine.PhaseChecking, engine.PhaseOperational, engine.PhaseDegraded, engine.PhaseFailed} {
		keys = append(keys, "diag.phase."+string(p))
	}
	for _, c := range []string{checks.CodeDNSNXDomain, checks.CodeDNSTimeout, checks.CodeDNSError, checks.CodeRefused, checks.CodeTimeout,
		checks.CodeUnreachable, checks.CodeTLSExpired, checks.CodeTLSUntrusted, checks.CodeTLSError, checks.CodeHTTPStatus, checks.CodeCondition,
		checks.CodeDegraded, checks.CodeTunnelHandshake, checks.CodeTunnelNoAnswer, checks.CodeTunnelNotSent, checks.CodeMTU, checks.CodeTunnelDown,
		checks.CodeNoInternet, checks.CodeCaptivePortal, checks.CodeBlocked} {
		keys = append(keys, "diag.reason."+c)
	}
	for _, f := range []net.Flags{net.FlagUp, net.FlagBroadcast, net.FlagLoopback, net.FlagPointToPoint, net.FlagMulticast, net.FlagRunning} {
		keys = append(keys, "diag.netflag."+f.String())
	}
	for _, f := range routeFlags {
		keys = append(keys, "diag.netflag."+f.name)
	}
	for _, k := range []string{"check_type.http", "check_type.tcp", "check_type.tls", "check_type.dns", "via.tunnel", "via.direct",
		"method.ping", "method.tcp", "setting.language", "setting.autostart", "setting.tunnel_mode", "setting.locked.autostart",
		"setting.locked.tunnel_mode", "setting.demo", "setting.profile_url", "language.fr", "language.en", "tunnel.mode.auto"} {
		keys = append(keys, "diag."+k)
	}
	for _, c := range defaultCollectors(fakeSources()) {
		key := "diag." + c.file + "." + c.key
		if fr["diag.collector."+c.name()] != "" {
			key = "diag.collector." + c.name()
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasSuffix(k, ".") {
			continue
		}
		plural := fr[k+".one"] != "" && fr[k+".other"] != "" && en[k+".one"] != "" && en[k+".other"] != ""
		if (fr[k] == "" || en[k] == "") && !plural {
			t.Errorf("%s: missing from a catalogue", k)
		}
	}
}

// summary.html in a real browser: headless Chromium draws it (not blank)
// and its DOM reads the verdict first. The screenshots go to
// RELAIS_SCREENSHOTS when set.
func TestSummaryHTMLInChromium(t *testing.T) {
	chromium := testenv.NeedTools(t, "chromium")[0]
	for _, lang := range []string{"fr", "en"} {
		dir := t.TempDir()
		page := filepath.Join(dir, "summary.html")
		if err := os.WriteFile(page, sampleSummary(t, lang), 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(args ...string) []byte {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
				"--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1024,900"}
			cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
			cmd.WaitDelay = 5 * time.Second
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("chromium %v: %v\n%s", args, err, stderr.Bytes())
			}
			return out
		}
		shot := filepath.Join(dir, "shot.png")
		run("--screenshot="+shot, "file://"+page)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		colours := map[uint32]bool{}
		var dark int
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 3 {
			for x := b.Min.X; x < b.Max.X; x += 3 {
				r, g, bl, _ := img.At(x, y).RGBA()
				colours[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
				if r+g+bl < 3*0x4000 {
					dark++
				}
			}
		}
		if len(colours) < 8 || dark < 200 {
			t.Errorf("%s: the screenshot looks blank (%d colours, %d dark samples)", lang, len(colours), dark)
		}
		// The verdict's red band is at the top.
		r, g, bl, _ := img.At(b.Min.X+40, b.Min.Y+40).RGBA()
		if !(r > g && r > bl) {
			t.Errorf("%s: the top of the page is not the failing verdict's colour: %x %x %x", lang, r, g, bl)
		}
		if out := os.Getenv("RELAIS_SCREENSHOTS"); out != "" {
			data, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, "diag-summary-"+lang+".png"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dom := run("--dump-dom", "file://"+page)
		doc, err := html.Parse(bytes.NewReader(dom))
		if err != nil {
			t.Fatal(err)
		}
		checkVerdictFirst(t, lang, doc)
	}
}

// summary.html and the bundle's text summary are read by the service
// desk: the next steps the agent was shown ("call the service desk at
// 555-0100", "please wait") are not repeated to it; the reasons stay.
func TestSummaryDoesNotAdviseTheHelpdesk(t *testing.T) {
	in, _ := sampleInput(t)
	raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: defaultCollectors(fakeSources())})
	b, err := Open(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	advice := map[string][]string{
		"fr": {"Appelez le centre de services au 555-0100.", "Patientez."},
		"en": {"Call the service desk at 555-0100.", "Please wait."},
	}
	reasons := map[string]string{"fr": "Le serveur de paie ne répond pas.", "en": "The payroll server does not answer."}
	for _, lang := range []string{"fr", "en"} {
		doc, err := html.Parse(bytes.NewReader(sampleSummary(t, lang)))
		if err != nil {
			t.Fatal(err)
		}
		for what, s := range map[string]string{"summary.html": text(doc), "summary": Summary(b, lang)} {
			for _, a := range advice[lang] {
				if strings.Contains(s, a) {
					t.Errorf("%s %s repeats the agent's next step %q to the service desk", lang, what, a)
				}
			}
			if !strings.Contains(s, reasons[lang]) {
				t.Errorf("%s %s lost the reason %q", lang, what, reasons[lang])
			}
		}
	}
}
