package diag

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/user"
	"regexp"
	"strings"
	"testing"
	"time"

	"relais/internal/diag/bundle"

	"filippo.io/age"
)

var allLevels = []Level{LevelNone, LevelStandard, LevelStrict}

// forms are the ways a secret may be written in a file.
func forms(secret string) []string {
	lowerPercent := regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(secret), strings.ToLower)
	js, _ := json.Marshal(secret)
	out := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), lowerPercent, template.HTMLEscapeString(secret), strings.Trim(string(js), `"`)}
	if k, err := base64.StdEncoding.DecodeString(secret); err == nil && len(k) == 32 {
		out = append(out, hex.EncodeToString(k))
	}
	return out
}

// failingCollector fails with an error that carries a secret and an
// address: the manifest must carry neither.
func failingCollector(token string) collector {
	return collector{"network", "vpn", func(context.Context) (any, error) {
		return nil, errors.New("GET https://portail.example.org/?token=" + token + " from 198.51.100.7: refused")
	}}
}

// No secret planted in the Input (keys, tokens, passwords, bearer tokens,
// age and minisign secret keys) is in any file of a bundle, at any level,
// in any escaped form, nor in the zip's raw (deflated) bytes, nor in the
// terminal summary.
func TestExportNoSecretAnywhere(t *testing.T) {
	in, p := sampleInput(t)
	minisignLine := p.minisignKey[strings.LastIndexByte(p.minisignKey, '\n')+1:]
	secrets := []string{p.privateKey, p.psk, p.token, p.password, p.bearer, p.ageKey, minisignLine}
	for _, level := range allLevels {
		t.Run(string(level), func(t *testing.T) {
			cs := append(defaultCollectors(fakeSources()), failingCollector(p.token))
			raw, m := export(t, in, Options{Level: level, collectors: cs})
			files := unzip(t, raw)
			if len(files) < 10 {
				t.Fatalf("only %d files", len(files))
			}
			b, err := Open(bytes.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			files["(summary text fr)"] = []byte(Summary(b, "fr"))
			files["(summary text en)"] = []byte(Summary(b, "en"))
			files["(raw zip)"] = raw
			for name, data := range files {
				for _, s := range secrets {
					for _, f := range forms(s) {
						if bytes.Contains(data, []byte(f)) {
							t.Errorf("%s: a secret is there (%q…)", name, f[:min(6, len(f))])
						}
					}
				}
			}
			if m.Redactions < 15 {
				t.Errorf("Redactions = %d, want every planted secret counted", m.Redactions)
			}
			if len(m.Failures) != 1 || m.Failures[0].Name != "network.vpn" || !strings.Contains(m.Failures[0].Error, "refused") {
				t.Errorf("Failures = %+v", m.Failures)
			}
			// Redaction keeps what the helpdesk needs around the secret.
			for _, want := range []string{"PrivateKey = [REDACTED]", "Authorization: [REDACTED]", "token=[REDACTED]", "REDACTED@"} {
				if !bytes.Contains(files[bundle.NameLog], []byte(want)) && !bytes.Contains(files[bundle.NameProfileTOML], []byte(want)) {
					t.Errorf("log and profile lack %q", want)
				}
			}
		})
	}
}

// wordIn reports whether v appears in text on its own (not inside a
// longer word or number), case-insensitively.
func wordIn(text []byte, v string) bool {
	re := regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9])` + regexp.QuoteMeta(v) + `(?:$|[^A-Za-z0-9])`)
	return re.Match(text)
}

// machineFacts are what identifies the machine the test runs on: its name,
// its user, its interface addresses (loopback excepted) and MAC addresses.
type machineFacts struct {
	hostname string
	users    []string
	addrs    []netip.Addr
	macs     []string
}

func thisMachine(t *testing.T) machineFacts {
	t.Helper()
	var f machineFacts
	f.hostname, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		f.users = append(f.users, u.Username)
		if name, _, _ := strings.Cut(u.Name, ","); len(name) >= 3 && name != u.Username {
			f.users = append(f.users, name)
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if mac := i.HardwareAddr.String(); mac != "" && mac != "00:00:00:00:00:00" {
			f.macs = append(f.macs, mac)
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLoopback() {
				f.addrs = append(f.addrs, p.Addr().WithZone(""))
			}
		}
	}
	if f.hostname == "" || len(f.users) == 0 || len(f.addrs) == 0 {
		t.Fatalf("this machine shows too little to test with: %+v", f)
	}
	return f
}

// At strict, nothing that identifies this machine (read by the real
// collectors) is in any file: not its name, its user, its addresses
// (loopback excepted) nor its MAC addresses. At standard its name, user,
// MAC and public addresses are hidden, its private ones kept.
func TestExportHidesThisMachine(t *testing.T) {
	facts := thisMachine(t)
	in, _ := sampleInput(t)
	in.Language = "en"
	in.Log = append(in.Log, LogLine{At: testNow, Source: "engine", Message: "running on " + facts.hostname + " as " + facts.users[0] + ", address " + facts.addrs[0].String()})
	for _, level := range []Level{LevelStandard, LevelStrict} {
		t.Run(string(level), func(t *testing.T) {
			raw, m := export(t, in, Options{Level: level, CollectorTimeout: 5 * time.Second})
			files := unzip(t, raw)
			if !bytes.Contains(files[bundle.NameNetwork], []byte(`"interfaces"`)) || !bytes.Contains(files[bundle.NameSystem], []byte(`"hostname"`)) {
				t.Fatalf("the real collectors gave nothing:\n%s\n%s", files[bundle.NameSystem], files[bundle.NameNetwork])
			}
			t.Logf("failures: %+v", m.Failures)
			hidden := append([]string{facts.hostname}, facts.users...)
			hidden = append(hidden, facts.macs...)
			var kept []string
			for _, a := range facts.addrs {
				internal := a.IsPrivate() || a.IsLinkLocalUnicast() || netip.MustParsePrefix("100.64.0.0/10").Contains(a)
				if level == LevelStrict || !internal || eui64(a) {
					hidden = append(hidden, a.String())
				} else {
					kept = append(kept, a.String())
				}
			}
			for name, data := range files {
				for _, v := range hidden {
					if wordIn(data, v) {
						t.Errorf("%s at %s: %q is there", name, level, v)
					}
				}
			}
			for _, v := range kept {
				if !wordIn(files[bundle.NameNetwork], v) {
					t.Errorf("network.json at standard: private address %s should be kept", v)
				}
			}
			if !bytes.Contains(files[bundle.NameSystem], []byte(`"[HOST-1]"`)) || !bytes.Contains(files[bundle.NameSystem], []byte(`"[USER-1]"`)) {
				t.Errorf("system.json: the machine and its user should be [HOST-1] and [USER-1]:\n%s", files[bundle.NameSystem])
			}
			// The loopback address identifies nobody and stays.
			if !wordIn(files[bundle.NameNetwork], "127.0.0.1") {
				t.Errorf("network.json: 127.0.0.1 should stay")
			}
			// The tunnel's private address goes at strict only.
			if got := wordIn(files[bundle.NameTunnel], "10.20.9.17"); got != (level == LevelStandard) {
				t.Errorf("tunnel.json at %s: private tunnel address present = %v", level, got)
			}
		})
	}
}

var reStandIn = regexp.MustCompile(`\[(?:IP6?-(?:PUB|PRIV)|HOST|MAC|USER)-\d+\]`)

// One value gets one stand-in across every file of a bundle; at none,
// nothing is replaced (but secrets still are).
func TestExportStandInsAreConsistent(t *testing.T) {
	in, p := sampleInput(t)
	in.Log = append(in.Log, LogLine{At: testNow, Source: "engine", Message: "host pc-jdupont.corp.example.net (pc-jdupont) user jdupont, Jeanne Dupont, mac 52-54-00-12-34-56"})
	in.People = []string{"Élise O'Brien"}
	in.Drills[0].Steps[1].Evidence.Answer = "Élise O'Brien a tout vérifié"
	raw, _ := export(t, in, Options{Level: LevelStandard, collectors: defaultCollectors(fakeSources())})
	files := unzip(t, raw)
	standIn := func(file, before, after string) string {
		t.Helper()
		re := regexp.MustCompile(regexp.QuoteMeta(before) + `(\[[A-Z0-9-]+\])` + regexp.QuoteMeta(after))
		m := re.FindSubmatch(files[file])
		if m == nil {
			t.Fatalf("%s: no stand-in between %q and %q:\n%s", file, before, after, files[file])
		}
		return string(m[1])
	}
	ip := []string{
		standIn(bundle.NameLog, "endpoint ", " unreachable"),
		standIn(bundle.NameLog, "Endpoint = ", ":51820"),
		standIn(bundle.NameProfileTOML, `endpoint_backup = "`, `:51820"`),
		standIn(bundle.NameTunnel, `"endpoint": "`, `:51820"`),
		standIn(bundle.NameSummary, "serveur ", ":51820"),
	}
	for _, s := range ip {
		if s != ip[0] || !strings.HasPrefix(s, "[IP-PUB-") {
			t.Errorf("the public address has stand-ins %v, want one [IP-PUB-n]", ip)
		}
	}
	if host := standIn(bundle.NameSystem, `"value": "`, `"`); host != "[HOST-1]" || standIn(bundle.NameLog, "(", ") user") != host {
		t.Errorf("the machine's name: %s in system.json, want [HOST-1] in the log too", host)
	}
	if u := standIn(bundle.NameLog, " user ", ", "); u != "[USER-1]" || standIn(bundle.NameSystem, `"home": "/home/`, `"`) != u {
		t.Errorf("the user: %s", u)
	}
	if mac := standIn(bundle.NameLog, "mac ", "\n"); mac != standIn(bundle.NameNetwork, `"mac": "`, `"`) {
		t.Errorf("the MAC address: %s in the log, not the same in network.json", mac)
	}
	if host := standIn(bundle.NameProfileTOML, `profile_url = "https://`, `/relais/profile.toml"`); host != standIn(bundle.NameManaged, `profile_url = "https://`, `/p.toml`) {
		t.Errorf("the profile's host is not the same stand-in in profile.toml and managed.toml")
	}
	for name, data := range files {
		for _, v := range []string{p.publicIP, "pc-jdupont", "jdupont", "Jeanne", "Dupont", "52:54:00:12:34:56", "52-54-00-12-34-56", "continuite.example.org", "Élise", "O'Brien", "2001:db8::5054:ff:fe12:3456"} {
			if wordIn(data, v) {
				t.Errorf("%s: %q is there at standard", name, v)
			}
		}
	}
	// Kept at standard: private addresses, loopback, file names, code.
	for _, v := range []string{"192.168.100.23", "10.20.0.53", "127.0.0.1"} {
		if !wordIn(bytes.Join([][]byte{files[bundle.NameNetwork], files[bundle.NameProfileTOML], files[bundle.NameTunnel]}, nil), v) {
			t.Errorf("%s should be kept at standard", v)
		}
	}
	if !bytes.Contains(files[bundle.NameProfileTOML], []byte("[[apps.checks]]")) || !bytes.Contains(files[bundle.NameProfileTOML], []byte("/p.toml")) {
		t.Errorf("profile.toml: TOML tables and file names must not be taken for hosts")
	}

	raw, _ = export(t, in, Options{Level: LevelNone, collectors: defaultCollectors(fakeSources())})
	none := unzip(t, raw)
	for name, data := range none {
		if reStandIn.Match(data) {
			t.Errorf("%s at none: a stand-in %s", name, reStandIn.Find(data))
		}
	}
	if !wordIn(none[bundle.NameLog], p.publicIP) || !wordIn(none[bundle.NameSystem], "pc-jdupont") || bytes.Contains(none[bundle.NameLog], []byte(p.privateKey)) {
		t.Errorf("at none, addresses and names stay and secrets go")
	}
}

// An encrypted bundle is an age file: it opens with the helpdesk's
// identity, and not with another one nor with none.
func TestExportEncrypted(t *testing.T) {
	helpdesk, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	in, p := sampleInput(t)
	raw, m := export(t, in, Options{Recipient: helpdesk.Recipient().String(), collectors: defaultCollectors(fakeSources())})
	if !m.Encrypted || !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) || bytes.Contains(raw, []byte("PK\x03\x04")) || bytes.Contains(raw, []byte("summary.html")) {
		t.Fatalf("not an age file (manifest encrypted %v): %q", m.Encrypted, raw[:min(40, len(raw))])
	}
	if got := FileName(m.CaseCode, m.Encrypted); got != "relais-diag-"+m.CaseCode+".zip.age" {
		t.Errorf("FileName = %s", got)
	}
	b, err := Open(bytes.NewReader(raw), []age.Identity{other, helpdesk})
	if err != nil {
		t.Fatalf("Open with the helpdesk's identity: %v", err)
	}
	if b.Manifest.CaseCode != m.CaseCode || !b.Manifest.Encrypted || len(b.Files) != len(m.Files) {
		t.Fatalf("opened %+v, want %+v", b.Manifest, *m)
	}
	if !strings.Contains(string(b.Files[bundle.NameLog]), "PrivateKey = [REDACTED]") || strings.Contains(string(b.Files[bundle.NameLog]), p.privateKey) {
		t.Errorf("log.txt inside: %s", b.Files[bundle.NameLog])
	}
	for _, ids := range [][]age.Identity{{other}, nil} {
		_, err := Open(bytes.NewReader(raw), ids)
		if !errors.Is(err, ErrEncrypted) {
			t.Errorf("Open with %d wrong identities: %v, want ErrEncrypted", len(ids), err)
		}
	}
	var noMatch *age.NoIdentityMatchError
	if _, err := Open(bytes.NewReader(raw), []age.Identity{other}); !errors.As(err, &noMatch) {
		t.Errorf("the age error is not wrapped: %v", err)
	}
	if _, err := Export(context.Background(), in, Options{Recipient: "age1notarecipient"}, &bytes.Buffer{}); err == nil {
		t.Error("a bad recipient was accepted")
	}
}

// A collector that hangs (and ignores its context) is cut at its
// deadline and noted; one that fails is noted; one whose fact this system
// lacks is not a failure; every other fact ships.
func TestExportCollectorDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	cs := defaultCollectors(fakeSources())
	for i, c := range cs {
		switch c.name() {
		case "network.dns":
			cs[i].run = func(context.Context) (any, error) { <-release; return nil, nil }
		case "system.uptime":
			cs[i].run = func(ctx context.Context) (any, error) { <-ctx.Done(); return 12.0, ctx.Err() }
		case "network.routes6":
			cs[i].run = func(context.Context) (any, error) { return nil, errors.New("netlink: permission denied") }
		}
	}
	in, _ := sampleInput(t)
	type result struct {
		raw []byte
		m   *Manifest
		err error
	}
	done := make(chan result, 1)
	go func() {
		var buf bytes.Buffer
		m, err := Export(context.Background(), in, Options{CollectorTimeout: 150 * time.Millisecond, collectors: cs, Now: func() time.Time { return testNow }}, &buf)
		done <- result{buf.Bytes(), m, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Export waits for a hanging collector")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	got := map[string]string{}
	for _, f := range r.m.Failures {
		got[f.Name] = f.Error
	}
	if len(got) != 3 || !strings.Contains(got["network.dns"], "did not finish within 150ms") || !strings.Contains(got["system.uptime"], "did not finish within 150ms") || got["network.routes6"] != "netlink: permission denied" {
		t.Errorf("Failures = %+v", r.m.Failures)
	}
	b, err := Open(bytes.NewReader(r.raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := bundle.Fact[[]bundle.IfaceFacts](b, bundle.NameNetwork, "interfaces"); !ok {
		t.Errorf("interfaces missing:\n%s", b.Files[bundle.NameNetwork])
	}
	if rs, _, ok := bundle.Fact[[]bundle.Route](b, bundle.NameNetwork, "routes"); !ok || len(rs) != 2 {
		t.Errorf("routes: %v", rs)
	}
	if up, e, _ := bundle.Fact[float64](b, bundle.NameSystem, "uptime"); up != 12 || !strings.Contains(e, "did not finish") {
		t.Errorf("uptime: the partial value and its error are kept: %v %q", up, e)
	}
	if _, e, ok := bundle.Fact[bundle.ResolvConf](b, bundle.NameNetwork, "dns"); ok || !strings.Contains(e, "did not finish") {
		t.Errorf("dns: %q", e)
	}
	if _, e, _ := bundle.Fact[[]string](b, bundle.NameNetwork, "resolvectl"); e != errUnsupported.Error() {
		t.Errorf("resolvectl: %q", e)
	}
	if !strings.Contains(string(b.Files[bundle.NameSummary]), "did not finish") || !strings.Contains(Summary(b, "en"), "Collectors that failed: ") ||
		!strings.Contains(Summary(b, "en"), "DNS servers. Details: did not finish") {
		t.Errorf("the failures are not shown:\n%s", Summary(b, "en"))
	}
}

// Export stops at once when its context is cancelled.
func TestExportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in, _ := sampleInput(t)
	if _, err := Export(ctx, in, Options{collectors: defaultCollectors(fakeSources())}, &bytes.Buffer{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestExportRefusesBadOptions(t *testing.T) {
	in, _ := sampleInput(t)
	for _, opt := range []Options{{Level: "paranoid"}, {CaseCode: "RLS-0000-0000"}, {CaseCode: "rls-7k3m-q9td"}, {Recipient: "age1zzz"}} {
		opt.collectors = defaultCollectors(fakeSources())
		var buf bytes.Buffer
		if _, err := Export(context.Background(), in, opt, &buf); err == nil || buf.Len() != 0 {
			t.Errorf("%+v: err %v, %d bytes written", opt, err, buf.Len())
		}
	}
}

// The same Input, time, case code and facts make the same bytes; the
// files are in the documented order; the manifest lists every other file
// with its size and hash.
func TestExportDeterministic(t *testing.T) {
	in, _ := sampleInput(t)
	opt := Options{CaseCode: "RLS-7K3M-Q9TD", collectors: defaultCollectors(fakeSources())}
	a, m := export(t, in, opt)
	b, _ := export(t, in, opt)
	if !bytes.Equal(a, b) {
		t.Error("two exports of the same facts differ")
	}
	b2, err := Open(bytes.NewReader(a), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
		if f.Size != int64(len(b2.Files[f.Name])) || f.SHA256 != sha256Hex(b2.Files[f.Name]) {
			t.Errorf("%s: manifest entry %+v", f.Name, f)
		}
	}
	want := "summary.html system.json network.json tunnel.json checks.json drills.json profile.json profile.toml settings.json managed.toml log.txt"
	if strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}
	if m.Level != LevelStandard || m.Schema != Schema || !m.Created.Equal(testNow) || m.App.Version != "0.1.0-test" {
		t.Errorf("manifest %+v", m)
	}
	// Without a profile, a managed configuration or a snapshot, the
	// bundle still says so.
	raw, m2 := export(t, Input{Language: "en"}, Options{collectors: defaultCollectors(fakeSources())})
	for _, f := range m2.Files {
		if f.Name == bundle.NameProfileTOML || f.Name == bundle.NameManaged {
			t.Errorf("%s shipped without content", f.Name)
		}
	}
	empty, err := Open(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := Summary(empty, "en")
	for _, want := range []string{"Mode urgence has never run on this device", "no profile cached", "not been checked yet"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

// The terminal summary puts the verdict first, then the failing apps with
// their reasons, then the tunnel, the profile and the failures, in the
// language asked.
func TestSummaryText(t *testing.T) {
	in, _ := sampleInput(t)
	cs := append(defaultCollectors(fakeSources()), failingCollector("x"))
	raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: cs})
	b, err := Open(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{
		"fr": {"RLS-7K3M-Q9TD", "Vous êtes connecté à l'environnement d'urgence, mais aucune des 2 applications essentielles ne répond.", "Ne fonctionne pas : Paie, Messagerie.", "Paie (essentielle, en panne) : Le serveur de paie ne répond pas.",
			"Messagerie (essentielle, bloquée) : Bloquée : elle dépend de Paie", "Fonctionne, mais lentement : Agenda.", "Fonctionne : Intranet.",
			"Tunnel : sans droits d'administrateur, actif, serveur [IP-PUB-1]:51820, dernière réponse de la passerelle il y a 12 s, reçu 1,2 Mo, envoyé 345,7 ko",
			"Profil : série 7, signature valide, expire le 2027-06-30", "Collectes en échec : network.vpn"},
		"en": {"You are connected to the emergency environment, but none of its 2 essential applications answers.", "Not working: Payroll, Email.", "Payroll (essential, down): The payroll server does not answer.",
			"Working, but slowly: Calendar.", "Tunnel: without administrator rights, up, server [IP-PUB-1]:51820, last answer from the gateway 12 s ago, received 1.2 MB, sent 345.7 kB",
			"Profile: serial 7, signature valid", "Collectors that failed: network.vpn"},
	} {
		s := Summary(b, lang)
		last := -1
		for _, w := range want {
			i := strings.Index(s, w)
			if i < 0 {
				t.Errorf("%s: summary lacks %q:\n%s", lang, w, s)
				continue
			}
			if i < last {
				t.Errorf("%s: %q is out of order:\n%s", lang, w, s)
			}
			last = i
		}
	}
}
