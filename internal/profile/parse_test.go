package profile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

const (
	exampleFile = "../../testdata/profiles/example.toml"
	badDir      = "../../testdata/profiles/bad"
)

func readExample(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// errorList fails unless err is an ErrorList.
func errorList(t *testing.T, err error) ErrorList {
	t.Helper()
	var l ErrorList
	if !errors.As(err, &l) {
		t.Fatalf("error %v (%T) is not an ErrorList", err, err)
	}
	return l
}

func TestParseExample(t *testing.T) {
	data := readExample(t)
	p, err := Parse("example.toml", data)
	if err != nil {
		t.Fatalf("example does not parse:\n%v", err)
	}

	sum := sha256.Sum256(data)
	if p.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 = %s, want the hash of the file", p.SHA256)
	}
	if p.Schema != 1 || p.Serial != 7 {
		t.Errorf("schema %d serial %d, want 1 and 7", p.Schema, p.Serial)
	}
	if want := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC); !p.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", p.Expires, want)
	}
	if got := p.Organisation.Name.In("en"); got != "Ministry of Example" {
		t.Errorf("organisation in English = %q", got)
	}
	if p.Tunnel.MTU != 1280 || p.Tunnel.PersistentKeepalive != 25 {
		t.Errorf("tunnel mtu %d keepalive %d", p.Tunnel.MTU, p.Tunnel.PersistentKeepalive)
	}

	// The example is meant to show every feature; keep it that way.
	if len(p.Apps) < 5 {
		t.Errorf("%d apps, want at least 5", len(p.Apps))
	}
	types := map[string]int{}
	crit := map[string]bool{}
	for _, a := range p.Apps {
		crit[a.Criticality] = true
		for _, c := range a.Checks {
			types[c.Type]++
		}
	}
	for _, typ := range []string{"http", "tcp", "dns", "tls"} {
		if types[typ] < 2 {
			t.Errorf("%d %s checks, want several", types[typ], typ)
		}
	}
	if len(crit) != 3 {
		t.Errorf("criticalities %v, want all three", crit)
	}
	if len(p.Links) < 4 || len(p.Contacts) != 3 || len(p.Pages) != 2 || p.Helpdesk == nil || p.Notices == nil || len(p.Drills) == 0 {
		t.Errorf("links %d contacts %d pages %d helpdesk %v drills %d", len(p.Links), len(p.Contacts), len(p.Pages), p.Helpdesk, len(p.Drills))
	}

	// Defaults are filled in.
	c := p.Check("annuaire-dns")
	if c == nil || c.Via != "tunnel" || c.Timeout.Duration() != 3*time.Second {
		t.Errorf("annuaire-dns = %+v, want via tunnel and a 3s timeout", c)
	}
	if c := p.Check("messagerie-imaps"); c == nil || c.Timeout.Duration() != DefaultTimeout {
		t.Errorf("messagerie-imaps = %+v, want the default timeout", c)
	}
	if l := p.Link("paie"); l == nil || l.Via != "tunnel" || !reflect.DeepEqual(l.Needs, []string{"paie", "annuaire"}) {
		t.Errorf("link paie = %+v", l)
	}
	if l := p.Link("cellule-crise"); l == nil || l.Via != "direct" || !strings.HasPrefix(l.URL, "msteams:") {
		t.Errorf("link cellule-crise = %+v", l)
	}

	d := p.Drill("automne-2026")
	if d == nil || d.RTO.Duration() != 30*time.Minute || len(d.Steps) != 6 {
		t.Fatalf("drill = %+v", d)
	}
	kinds := map[string]bool{}
	for _, s := range d.Steps {
		kinds[s.Kind] = true
	}
	if len(kinds) != 4 {
		t.Errorf("step kinds %v, want all four", kinds)
	}
	if s := d.Steps[4]; len(s.Choices) != 3 || s.Choices[1].In("fr") != "Oui, avec l'aide d'un ambassadeur" || !s.IsRequired() {
		t.Errorf("question step = %+v", s)
	}
	if s := d.Steps[5]; s.IsRequired() || len(s.Choices) != 0 {
		t.Errorf("free-text step = %+v, want optional", s)
	}
	if d.Steps[1].Expected.Duration() != 2*time.Minute || d.Steps[2].Action != "open_link:portail-urgence" {
		t.Errorf("steps = %+v", d.Steps[1:3])
	}
	if got := d.Steps[2].Expected.Duration(); got != 5*time.Minute {
		t.Errorf("expected = %v", got)
	}

	if p.App("paie") == nil || p.App("absente") != nil || p.Check("absente") != nil ||
		p.Link("absent") != nil || p.Asset("absent.png") != nil || p.Drill("absent") != nil {
		t.Error("lookups do not tell present from absent")
	}
}

// The asset the example pins must be the file beside it, byte for byte.
func TestExampleAssetMatchesFile(t *testing.T) {
	p, err := Parse("example.toml", readExample(t))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Asset("etape1.png")
	if a == nil {
		t.Fatal("no etape1.png asset")
	}
	png, err := os.ReadFile(filepath.Join(filepath.Dir(exampleFile), "assets", "etape1.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n") {
		t.Error("etape1.png is not a PNG")
	}
	if sum := sha256.Sum256(png); hex.EncodeToString(sum[:]) != a.SHA256 {
		t.Errorf("etape1.png hashes to %x, the profile pins %s", sum, a.SHA256)
	}
	if got := AssetRefs(p.Pages[0].Body.FR); !reflect.DeepEqual(got, []string{"etape1.png"}) {
		t.Errorf("page refs = %v", got)
	}
}

// Every file in bad/ has exactly one problem, and its first line says the error expected.
func TestBadCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(badDir, "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("%d bad files, want at least 25", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".toml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not a # want: comment", first)
			}
			p, err := Parse(name, data)
			if err == nil {
				t.Fatalf("parsed without error: %+v", p)
			}
			l := errorList(t, err)
			if got := l[0].Error(); got != want {
				t.Errorf("first error\n got %s\nwant %s", got, want)
			}
			if len(l) != 1 {
				t.Errorf("%d errors, want only the deliberate one:\n%v", len(l), l)
			}
		})
	}
}

// base is a minimal valid profile that tests modify.
const base = `schema = 1
serial = 3

[organisation]
name = { fr = "Ministère de l'Exemple", en = "Ministry of Example" }

[tunnel]
endpoint = "vpn.example.org:51820"
server_public_key = "b49b/tJYp/VejjTju4hQ/J1rRbS+yJBkPe64Z6EdAF0="
allowed_ips = ["10.20.0.0/16"]

[[apps]]
id = "paie"
name = { fr = "Paie", en = "Payroll" }
criticality = "essential"

  [[apps.checks]]
  id = "paie-web"
  type = "http"
  target = "https://paie.intra.example.org/"
`

func TestParseBaseAndDefaults(t *testing.T) {
	p, err := Parse("base.toml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if p.DefaultLanguage != "fr" || p.Tunnel.MTU != DefaultMTU || !p.Expires.IsZero() || p.Helpdesk != nil {
		t.Errorf("defaults: language %q mtu %d expires %v helpdesk %v", p.DefaultLanguage, p.Tunnel.MTU, p.Expires, p.Helpdesk)
	}
	c := p.Apps[0].Checks[0]
	if c.Via != DefaultVia || c.Timeout.Duration() != DefaultTimeout || c.Retries != 0 {
		t.Errorf("check defaults: %+v", c)
	}
	if p.Expired(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("a profile without expires expired")
	}
}

// Each case changes base (replace old by new, or append when old is empty) and expects one
// error among those reported. The bad corpus covers the common mistakes; these cover the
// remaining rules.
func TestValidationRules(t *testing.T) {
	const check = "  target = \"https://paie.intra.example.org/\"\n"
	cases := []struct {
		name, old, new, want string
	}{
		{"default language", "serial = 3\n", "serial = 3\ndefault_language = \"de\"\n", `3: default_language: must be "fr" or "en"`},
		{"scheme upper case", "serial = 3\n", "serial = 3\nallowed_schemes = [\"MSTeams\"]\n", "3: allowed_schemes[0]: must be lower case"},
		{"scheme https", "serial = 3\n", "serial = 3\nallowed_schemes = [\"https\"]\n", `3: allowed_schemes[0]: "https" is always allowed, remove it`},
		{"scheme syntax", "serial = 3\n", "serial = 3\nallowed_schemes = [\"ms teams\"]\n", `3: allowed_schemes[0]: "ms teams" is not a valid URL scheme`},
		{"scheme data", "serial = 3\n", "serial = 3\nallowed_schemes = [\"data\"]\n", `3: allowed_schemes[0]: scheme "data" is never allowed`},
		{"profile url http", "Ministry of Example\" }\n", "Ministry of Example\" }\nprofile_url = \"http://continuite.example.org/p.toml\"\n", "6: organisation.profile_url: must use https (http only on a loopback host)"},
		{"missing organisation", "[organisation]\nname = { fr = \"Ministère de l'Exemple\", en = \"Ministry of Example\" }\n", "", "1: organisation: required"},
		{"missing tunnel", "[tunnel]\n", "[other]\n", "7: other: unknown key"},
		{"endpoint host", `"vpn.example.org:51820"`, `":51820"`, "8: tunnel.endpoint: host must not be empty"},
		{"endpoint bad host", `"vpn.example.org:51820"`, `"vpn example:51820"`, `8: tunnel.endpoint: invalid host "vpn example"`},
		{"allowed_ips empty", `allowed_ips = ["10.20.0.0/16"]`, `allowed_ips = []`, "10: tunnel.allowed_ips: must not be empty"},
		{"allowed_ips missing", "allowed_ips = [\"10.20.0.0/16\"]\n", "", "7: tunnel.allowed_ips: required"},
		{"dns", "allowed_ips = [\"10.20.0.0/16\"]\n", "allowed_ips = [\"10.20.0.0/16\"]\ndns = [\"10.20.0.53\", \"resolver\"]\n", `11: tunnel.dns[1]: invalid IP address "resolver"`},
		{"dns domains", "allowed_ips = [\"10.20.0.0/16\"]\n", "allowed_ips = [\"10.20.0.0/16\"]\ndns_domains = [\"intra..example.org\"]\n", `11: tunnel.dns_domains[0]: invalid DNS name "intra..example.org"`},
		{"address", "allowed_ips = [\"10.20.0.0/16\"]\n", "allowed_ips = [\"10.20.0.0/16\"]\naddress = [\"10.20.9.7\"]\n", `11: tunnel.address[0]: invalid prefix "10.20.9.7" (use CIDR such as 10.20.0.5/32)`},
		{"keepalive", "allowed_ips = [\"10.20.0.0/16\"]\n", "allowed_ips = [\"10.20.0.0/16\"]\npersistent_keepalive = 70000\n", "11: tunnel.persistent_keepalive: must be between 0 and 65535"},
		{"no apps", base[strings.Index(base, "[[apps]]"):], "", "1: apps: at least one app is required"},
		{"app id pattern", `id = "paie"`, `id = "Paie"`, "13: apps[0].id: must match [a-z0-9][a-z0-9-]* (at most 64 characters)"},
		{"app id too long", `id = "paie"`, `id = "` + strings.Repeat("a", 65) + `"`, "13: apps[0].id: must match [a-z0-9][a-z0-9-]* (at most 64 characters)"},
		{"criticality", `criticality = "essential"`, `criticality = "vital"`, "15: apps[0].criticality: must be essential, important or optional"},
		{"requires itself", "criticality = \"essential\"\n", "criticality = \"essential\"\nrequires = [\"paie\"]\n", "16: apps[0].requires[0]: an app cannot require itself"},
		{"no checks", "  [[apps.checks]]\n  id = \"paie-web\"\n  type = \"http\"\n" + check, "", "12: apps[0].checks: at least one check is required"},
		{"via", check, check + "  via = \"vpn\"\n", `21: apps[0].checks[0].via: must be "tunnel" or "direct"`},
		{"retries", check, check + "  retries = 11\n", "21: apps[0].checks[0].retries: must be between 0 and 10"},
		{"timeout zero", check, check + "  timeout = \"0s\"\n", "21: apps[0].checks[0].timeout: must be greater than 0 and at most 60s"},
		{"http no host", check, "  target = \"https:///sante\"\n", "20: apps[0].checks[0].target: URL must have a host"},
		{"http relative", check, "  target = \"/sante\"\n", "20: apps[0].checks[0].target: must be an absolute URL"},
		{"tcp target", "type = \"http\"\n" + check, "type = \"tcp\"\n  target = \"paie.intra.example.org\"\n", "20: apps[0].checks[0].target: must be host:port"},
		{"condition grammar", check, check + "  conditions = [\"STATUS == 200\"]\n", "21: apps[0].checks[0].conditions[0]: must start with a [PLACEHOLDER]"},
		{"degraded_if", check, check + "  degraded_if = [\"[RESPONSE_TIME] > 1.5s\"]\n", "21: apps[0].checks[0].degraded_if[0]: [RESPONSE_TIME] needs milliseconds such as 1500"},
		{"link no host", "", "\n[[links]]\nid = \"l\"\nname = { fr = \"L\", en = \"L\" }\nurl = \"https:/x\"\n", "25: links[0].url: URL must have a host"},
		{"link description", "", "\n[[links]]\nid = \"l\"\nname = { fr = \"L\", en = \"L\" }\ndescription = { fr = \"D\" }\nurl = \"https://x.example.org/\"\n", "25: links[0].description.en: required"},
		{"link via", "", "\n[[links]]\nid = \"l\"\nname = { fr = \"L\", en = \"L\" }\nurl = \"https://x.example.org/\"\nvia = \"proxy\"\n", `26: links[0].via: must be "tunnel" or "direct"`},
		{"link allowed scheme", "serial = 3\n", "serial = 3\nallowed_schemes = [\"ica\"]\n", ""},
		{"duplicate link", "", "\n[[links]]\nid = \"l\"\nname = { fr = \"L\", en = \"L\" }\nurl = \"https://x.example.org/\"\n[[links]]\nid = \"l\"\nname = { fr = \"L\", en = \"L\" }\nurl = \"https://x.example.org/\"\n", `27: links[1].id: duplicate link id "l" (first on line 23)`},
		{"contact role", "", "\n[[contacts]]\nrole = \"boss\"\nname = { fr = \"N\", en = \"N\" }\nphone = \"1\"\n", "23: contacts[0].role: must be helpdesk, ambassador or coordinator"},
		{"contact phone", "", "\n[[contacts]]\nrole = \"helpdesk\"\nname = { fr = \"N\", en = \"N\" }\nphone = \"555-CALL\"\n", "25: contacts[0].phone: may contain only digits, spaces and + - ( ) ."},
		{"contact email", "", "\n[[contacts]]\nrole = \"helpdesk\"\nname = { fr = \"N\", en = \"N\" }\nemail = \"soutien@localhost\"\n", "25: contacts[0].email: must be an email address"},
		{"asset id", "", "\n[[assets]]\nid = \"../etc/passwd\"\nurl = \"https://x.example.org/a\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", `23: assets[0].id: must match [A-Za-z0-9._-]+ without ".."`},
		{"asset url", "", "\n[[assets]]\nid = \"a.png\"\nurl = \"http://x.example.org/a\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", "24: assets[0].url: must use https (http only on a loopback host)"},
		{"asset url loopback", "", "\n[[assets]]\nid = \"a.png\"\nurl = \"http://127.0.0.1:8080/a\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", ""},
		{"duplicate page", "", "\n[[pages]]\nid = \"p\"\ntitle = { fr = \"T\", en = \"T\" }\nbody = { fr = \"B\", en = \"B\" }\n[[pages]]\nid = \"p\"\ntitle = { fr = \"T\", en = \"T\" }\nbody = { fr = \"B\", en = \"B\" }\n", `27: pages[1].id: duplicate page id "p" (first on line 23)`},
		{"page asset en", "", "\n[[pages]]\nid = \"p\"\ntitle = { fr = \"T\", en = \"T\" }\nbody = { fr = \"B\", en = \"![x](asset:x.png)\" }\n", `25: pages[0].body.en: unknown asset "x.png"`},
		{"helpdesk missing recipient", "", "\n[helpdesk]\nreport_url = \"https://x.example.org/r\"\n", "22: helpdesk.age_recipient: required"},
		{"helpdesk report url", "", "\n[helpdesk]\nage_recipient = \"age14ll9why5lrl2vjw5xv6yrzaedlcfg8v65mxqaf2mj5f086ezwumsf02w77\"\nupload_url = \"ftp://x.example.org/u\"\n", "24: helpdesk.upload_url: must use https (http only on a loopback host)"},
		{"notices", "", "\n[notices]\nurl = \"https://x.example.org/v1/notices.json\"\npublic_key = \"RWRdEk5MwxiH6S4Ew2Nzk9V/3GhemVzUWA4tF4VmRcRtgn6bJ3HX0GFd\"\n", ""},
		{"notices missing url", "", "\n[notices]\npublic_key = \"RWRdEk5MwxiH6S4Ew2Nzk9V/3GhemVzUWA4tF4VmRcRtgn6bJ3HX0GFd\"\n", "22: notices.url: required"},
		{"notices insecure url", "", "\n[notices]\nurl = \"http://x.example.org/n.json\"\npublic_key = \"RWRdEk5MwxiH6S4Ew2Nzk9V/3GhemVzUWA4tF4VmRcRtgn6bJ3HX0GFd\"\n", "23: notices.url: must use https (http only on a loopback host)"},
		{"notices missing key", "", "\n[notices]\nurl = \"https://x.example.org/n.json\"\n", "22: notices.public_key: required"},
		{"notices bad key", "", "\n[notices]\nurl = \"https://x.example.org/n.json\"\npublic_key = \"age14ll9why5lrl2vjw5xv6yrzaedlcfg8v65mxqaf2mj5f086ezwumsf02w77\"\n", "24: notices.public_key: must be a minisign public key (RWQ…)"},
		{"notices unknown key", "", "\n[notices]\nurl = \"https://x.example.org/n.json\"\npublic_key = \"RWRdEk5MwxiH6S4Ew2Nzk9V/3GhemVzUWA4tF4VmRcRtgn6bJ3HX0GFd\"\ntunnel = \"evil:51820\"\n", "25: notices.tunnel: unknown key"},
		{"drill exercise", "", drill("exercise = \"tabletop\"", "exercise = \"chaos\""), "25: drills[0].exercise: must be walkthrough, tabletop, simulation or full"},
		{"drill rto", "", drill(`rto = "30m"`, `rto = "-5m"`), "28: drills[0].rto: must be a duration greater than 0"},
		{"drill no steps", "", drill("\n  [[drills.steps]]", "\n  [[other]]"), "22: drills[0].steps: at least one step is required"},
		{"drill opens missing", "", drill("opens = 2026-11-01T00:00:00Z\n", ""), "22: drills[0].opens: required"},
		{"step kind", "", drill(`kind = "instruction"`, `kind = "task"`), "32: drills[0].steps[0].kind: must be instruction, action, check or question"},
		{"action missing", "", drill(`kind = "instruction"`, `kind = "action"`), "30: drills[0].steps[0].action: required for action steps"},
		{"action unknown", "", drill(`kind = "instruction"`, "kind = \"action\"\n  action = \"reboot\""), "33: drills[0].steps[0].action: must be tunnel_up, run_checks or open_link:<link id>"},
		{"step unknown check", "", drill(`kind = "instruction"`, "kind = \"instruction\"\n  checks = [\"absente\"]"), `33: drills[0].steps[0].checks[0]: unknown check "absente"`},
		{"step expected", "", drill(`kind = "instruction"`, "kind = \"instruction\"\n  expected = \"0s\""), "33: drills[0].steps[0].expected: must be a duration greater than 0"},
		{"step duplicate", "", drill("", "\n  [[drills.steps]]\n  id = \"lire\"\n  kind = \"instruction\"\n  title = { fr = \"T\", en = \"T\" }\n  body = { fr = \"B\", en = \"B\" }\n"), `37: drills[0].steps[1].id: duplicate step id "lire" (first on line 31)`},
		{"step choice text", "", drill(`kind = "instruction"`, "kind = \"question\"\n  choices = [{ fr = \"Oui\", en = \"\" }]"), "33: drills[0].steps[0].choices[0].en: must not be empty"},
		{"step asset", "", drill(`body = { fr = "B", en = "B" }`, `body = { fr = "![](asset:x.png)", en = "B" }`), `34: drills[0].steps[0].body.fr: unknown asset "x.png"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var src string
			if tc.old == "" {
				src = base + tc.new
			} else {
				if !strings.Contains(base, tc.old) {
					t.Fatalf("base does not contain %q", tc.old)
				}
				src = strings.Replace(base, tc.old, tc.new, 1)
			}
			_, err := Parse("p.toml", []byte(src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			l := errorList(t, err)
			for _, e := range l {
				if e.Error() == "p.toml:"+tc.want {
					return
				}
			}
			t.Errorf("want p.toml:%s\ngot:\n%v\nsource:\n%s", tc.want, l, numbered(src))
		})
	}
}

// drill returns a one-step drill, with old replaced by new (or new appended when old is
// empty), to append to base.
func drill(old, new string) string {
	d := `
[[drills]]
id = "d"
title = { fr = "Exercice", en = "Drill" }
exercise = "tabletop"
opens = 2026-11-01T00:00:00Z
closes = 2026-11-30T00:00:00Z
rto = "30m"

  [[drills.steps]]
  id = "lire"
  kind = "instruction"
  title = { fr = "T", en = "T" }
  body = { fr = "B", en = "B" }
`
	if old == "" {
		return d + new
	}
	return strings.Replace(d, old, new, 1)
}

func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

func TestAllErrorsSortedByLine(t *testing.T) {
	src := strings.NewReplacer(
		"serial = 3", "serial = -1",
		`criticality = "essential"`, `criticality = "vital"`,
		`type = "http"`, `type = "ping"`,
		`"10.20.0.0/16"`, `"10.20.0.0/40"`,
	).Replace(base) + "colour = 1\n"
	_, err := Parse("p.toml", []byte(src))
	l := errorList(t, err)
	want := []string{
		"p.toml:2: serial: must be greater than 0",
		`p.toml:10: tunnel.allowed_ips[0]: invalid prefix "10.20.0.0/40" (use CIDR such as 10.20.0.0/16)`,
		"p.toml:15: apps[0].criticality: must be essential, important or optional",
		"p.toml:19: apps[0].checks[0].type: must be http, tcp, dns or tls",
		"p.toml:21: apps[0].checks[0].colour: unknown key",
	}
	if got := strings.Split(l.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorsAreCapped(t *testing.T) {
	src := strings.ReplaceAll(string(Generate(80)), `criticality = "`, `criticality = "x`)
	_, err := Parse("gen.toml", []byte(src))
	l := errorList(t, err)
	if len(l) != MaxErrors {
		t.Fatalf("%d errors, want %d", len(l), MaxErrors)
	}
	if last := l[len(l)-1]; last.Msg != "31 more errors not shown" || last.Line < l[len(l)-2].Line {
		t.Errorf("last error = %v", last)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "profile.toml", Line: 42, Path: "apps[2].checks[0].target", Msg: "scheme must be http or https"}
	if got, want := e.Error(), "profile.toml:42: apps[2].checks[0].target: scheme must be http or https"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = &Error{File: "profile.toml", Line: 3, Msg: "unexpected character"}
	want := "profile.toml:3: unexpected character"
	if got := e.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	l := ErrorList{e, e}
	if got := l.Error(); got != want+"\n"+want {
		t.Errorf("list = %q", got)
	}
	var target ErrorList
	if !errors.As(fmt.Errorf("wrapped: %w", l), &target) || len(target) != 2 {
		t.Error("errors.As does not find a wrapped ErrorList")
	}
}

func TestLimits(t *testing.T) {
	if _, err := Parse("gen.toml", Generate(MaxApps)); err != nil {
		t.Fatalf("%d apps refused: %v", MaxApps, err)
	}
	gen := Generate(MaxApps + 1)
	_, err := Parse("gen.toml", gen)
	l := errorList(t, err)
	// The error points at the first app over the limit.
	line := 1 + strings.Count(string(gen[:nthIndex(string(gen), "[[apps]]", MaxApps)]), "\n")
	if want := fmt.Sprintf("gen.toml:%d: apps: too many apps: 501, the limit is 500", line); len(l) != 1 || l[0].Error() != want {
		t.Errorf("got %v, want %s", l, want)
	}

	// 2001 checks in one app.
	var b strings.Builder
	b.WriteString(base)
	for i := 1; i <= MaxChecks; i++ {
		fmt.Fprintf(&b, "\n  [[apps.checks]]\n  id = \"c%d\"\n  type = \"tcp\"\n  target = \"x.example.org:1\"\n", i)
	}
	_, err = Parse("p.toml", []byte(b.String()))
	if l := errorList(t, err); len(l) != 1 || l[0].Path != "apps" || l[0].Msg != "too many checks: 2001, the limit is 2000 across all apps" {
		t.Errorf("got %v", l)
	}

	b.Reset()
	b.WriteString(base)
	for i := 0; i <= MaxDrills; i++ {
		b.WriteString(strings.Replace(drill("", ""), `id = "d"`, fmt.Sprintf(`id = "d%d"`, i), 1))
	}
	_, err = Parse("p.toml", []byte(b.String()))
	if l := errorList(t, err); len(l) != 1 || l[0].Msg != "too many drills: 101, the limit is 100" {
		t.Errorf("got %v", l)
	}

	b.Reset()
	b.WriteString(base + drill("", ""))
	for i := 1; i <= MaxStepsPerDrill; i++ {
		fmt.Fprintf(&b, "\n  [[drills.steps]]\n  id = \"s%d\"\n  kind = \"instruction\"\n  title = { fr = \"T\", en = \"T\" }\n  body = { fr = \"B\", en = \"B\" }\n", i)
	}
	_, err = Parse("p.toml", []byte(b.String()))
	if l := errorList(t, err); len(l) != 1 || l[0].Path != "drills[0].steps" || l[0].Msg != "too many steps: 201, the limit is 200" {
		t.Errorf("got %v", l)
	}
}

func nthIndex(s, sub string, n int) int {
	off := 0
	for i := 0; ; i++ {
		j := strings.Index(s[off:], sub)
		if j < 0 {
			return -1
		}
		if i == n {
			return off + j
		}
		off += j + len(sub)
	}
}

func TestTooLarge(t *testing.T) {
	padded := []byte(base + "#" + strings.Repeat("x", MaxProfileSize-len(base)-2) + "\n")
	if len(padded) != MaxProfileSize {
		t.Fatalf("padding is %d bytes", len(padded))
	}
	if _, err := Parse("p.toml", padded); err != nil {
		t.Fatalf("a profile of exactly MaxProfileSize is refused: %v", err)
	}
	_, err := Parse("p.toml", append(padded, '\n'))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	var l ErrorList
	if errors.As(err, &l) {
		t.Error("a too large profile is reported as an ErrorList")
	}
	if !strings.HasPrefix(err.Error(), "profile: too large: p.toml is 1048577 bytes") {
		t.Errorf("message %q", err)
	}
}

func TestGenerate(t *testing.T) {
	p, err := Parse("gen.toml", Generate(7))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Apps) != 7 {
		t.Fatalf("%d apps", len(p.Apps))
	}
	for _, a := range p.Apps {
		if len(a.Checks) != 2 {
			t.Errorf("app %s has %d checks", a.ID, len(a.Checks))
		}
	}
	if first, second := Generate(7), Generate(7); string(first) != string(second) {
		t.Error("Generate is not deterministic")
	}
	if _, err := Parse("gen.toml", Generate(0)); err == nil {
		t.Error("a profile without apps is valid")
	}
}

// Paths must carry the index of each array element however the TOML writes it: array
// tables, sub-tables of array elements, dotted keys, inline arrays of tables.
func TestPositions(t *testing.T) {
	src := `schema = 1
[[apps]]
id = "a"
[[apps]]
id = "b"
name.fr = "B"
  [[apps.checks]]
  id = "b1"
  [[apps.checks]]
  id = "b2"
[apps.name]
en = "B"
[[drills]]
steps = [
  { id = "s0" },
  { id = "s1", choices = [{ fr = "x" }] },
]
`
	ps := indexPositions([]byte(src))
	cases := map[string]int{
		"schema":                           1,
		"apps[0].id":                       3,
		"apps[1]":                          4,
		"apps[1].name.fr":                  6,
		"apps[1].checks[0].id":             8,
		"apps[1].checks[1].id":             10,
		"apps[1].name.en":                  12,
		"drills[0].steps[1].id":            16,
		"drills[0].steps[1].choices[0].fr": 16,
		"apps[1].checks[1].target":         9, // absent: its element's line
		"apps[1].checks[7].id":             7, // absent element: the array's first line
		"tunnel.endpoint":                  1, // nothing of it: the whole file
		"drills[0].steps[0]":               15,
	}
	for path, want := range cases {
		if got := ps.line(path); got != want {
			t.Errorf("line(%s) = %d, want %d", path, got, want)
		}
	}
	if ps.has("apps[1].checks[1].target") || !ps.has("apps[1].checks[1].id") {
		t.Error("has() does not tell written keys from absent ones")
	}
}

func TestTextIn(t *testing.T) {
	both := Text{FR: "Paie", EN: "Payroll"}
	frOnly := Text{FR: "Paie"}
	enOnly := Text{EN: "Payroll"}
	cases := []struct {
		t          Text
		lang, want string
	}{
		{both, "en", "Payroll"},
		{both, "fr", "Paie"},
		{both, "de", "Paie"},
		{both, "", "Paie"},
		{frOnly, "en", "Paie"},
		{enOnly, "fr", "Payroll"},
		{Text{}, "en", ""},
	}
	for _, c := range cases {
		if got := c.t.In(c.lang); got != c.want {
			t.Errorf("%+v.In(%q) = %q, want %q", c.t, c.lang, got, c.want)
		}
	}
}

func TestAssetRefs(t *testing.T) {
	cases := []struct {
		md   string
		want []string
	}{
		{"![texte](asset:etape1.png)", []string{"etape1.png"}},
		{"![a](asset:a.png) et ![b](asset:b.png \"titre\") puis ![a](asset:a.png)", []string{"a.png", "b.png"}},
		{"[lien](<asset:guide.pdf>)", []string{"guide.pdf"}},
		{"voir [ref]\n\n[ref]: asset:schema.svg\n", []string{"schema.svg"}},
		{"![vide](asset:)", []string{""}},
		{"the word asset:x in prose, and ![web](https://example.org/a.png)", nil},
	}
	for _, c := range cases {
		if got := AssetRefs(c.md); !reflect.DeepEqual(got, c.want) {
			t.Errorf("AssetRefs(%q) = %q, want %q", c.md, got, c.want)
		}
	}
}

func TestDurationAndRequired(t *testing.T) {
	if Duration("90s").Duration() != 90*time.Second || Duration("").Duration() != 0 || Duration("x").Duration() != 0 {
		t.Error("Duration.Duration")
	}
	no, yes := false, true
	if (&Step{}).IsRequired() != true || (&Step{Required: &no}).IsRequired() || !(&Step{Required: &yes}).IsRequired() {
		t.Error("IsRequired")
	}
}

func TestExpired(t *testing.T) {
	exp := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	p := &Profile{Expires: exp}
	if p.Expired(exp) || p.Expired(exp.Add(-time.Second)) || !p.Expired(exp.Add(time.Second)) {
		t.Error("Expired is wrong around the expiry instant")
	}
}

func TestHelpdeskRecipient(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		id.Recipient().String(): "",
		id.String():             "helpdesk.age_recipient: is an age secret key: publish its recipient (age1…) and replace the key",
		"age14ll9why5lrl2vjw5xv6yrzaedlcfg8v65mxqaf2mj5f086ezwumsf02w78": "helpdesk.age_recipient: must be an age X25519 recipient (age1…)", // checksum
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHn":                        "helpdesk.age_recipient: must be an age X25519 recipient (age1…)",
	}
	for recipient, want := range cases {
		src := base + "\n[helpdesk]\nage_recipient = \"" + recipient + "\"\n"
		_, err := Parse("p.toml", []byte(src))
		if want == "" {
			if err != nil {
				t.Errorf("%s refused: %v", recipient, err)
			}
			continue
		}
		if l := errorList(t, err); len(l) != 1 || l[0].Path+": "+l[0].Msg != want {
			t.Errorf("%s: got %v, want %s", recipient, l, want)
		}
	}
}
