package tunnel

import (
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"relais/internal/testenv"
)

// pacTestConfig is a tunnel with two IPv4 networks, one IPv6 network,
// two DNS domains and hostile dns_domains entries that must never reach
// the script as code.
func pacTestConfig() Config {
	return Config{
		DNSDomains: []string{"intra", "Urgence.Example.", `x"; FindProxyForURL = 1; //`, "a\u2028b", "</script>", "a..b", ".lead"},
		Peer: Peer{AllowedIPs: []netip.Prefix{
			netip.MustParsePrefix("10.99.0.0/24"), netip.MustParsePrefix("172.16.0.0/12"),
			netip.MustParsePrefix("fd00:99::/64"),
		}},
	}
}

// pacResolved is what the browser's dnsResolve answers in the tests.
var pacResolved = map[string]string{
	"intranet-public.example.org": "10.99.0.7",   // a name outside dns_domains pointing inside
	"cdn.example.net":             "203.0.113.9", // the internet
}

func pacResolve(h string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(pacResolved[h])
	return a, err == nil
}

// pacTable is the decision table: host -> through the tunnel's proxy.
var pacTable = []struct {
	host string
	via  bool
}{
	{"intra", true},
	{"portail.intra", true},
	{"PORTAIL.INTRA.", true},
	{"x.urgence.example", true},
	{"urgence.example", true},
	{"notintra", false},
	{"intra.evil.net", false},
	{"10.99.0.1", true},
	{"10.99.1.1", false},
	{"172.31.255.255", true},
	{"172.32.0.1", false},
	{"192.0.2.1", false},
	{"intranet-public.example.org", true},
	{"cdn.example.net", false},
	{"unknown.example", false},
	{"x", false},
	{"a", false},
	{"a..b", false},
}

// The Go decision (what the fail-fast proxies mirror) follows the table.
func TestPACRoutesTable(t *testing.T) {
	cfg := pacTestConfig()
	for _, tt := range pacTable {
		if got := PACRoutes(cfg, tt.host, pacResolve); got != tt.via {
			t.Errorf("PACRoutes(%q) = %v, want %v", tt.host, got, tt.via)
		}
	}
	if !PACRoutes(cfg, "[fd00:99::5]", nil) || PACRoutes(cfg, "2001:db8::1", nil) {
		t.Error("IPv6 literals: want fd00:99::5 through the tunnel, 2001:db8::1 direct")
	}
}

// The generated script, run by a real JavaScript engine with the PAC
// helpers a browser provides, takes the same decisions as the table;
// the hostile dns_domains entries are data left out, never code.
func TestPACScriptRunsTheTable(t *testing.T) {
	node := testenv.NeedTools(t, "node")[0]
	cfg := pacTestConfig()
	script := PACScript(cfg, "127.0.0.1:48080", "127.0.0.1:41080")
	for _, bad := range []string{"FindProxyForURL = 1", "\u2028", "</script>", "a..b", ".lead"} {
		if strings.Contains(script, bad) {
			t.Errorf("the script holds the hostile value %q", bad)
		}
	}
	hosts := []string{}
	for _, tt := range pacTable {
		hosts = append(hosts, tt.host)
	}
	hosts = append(hosts, "[fd00:99::5]", "2001:db8::1")
	hj, _ := json.Marshal(hosts)
	rj, _ := json.Marshal(pacResolved)
	harness := script + `
var resolved = ` + string(rj) + `;
function dnsResolve(h) { return resolved[h] || null; }
function isInNetEx(ip, prefix) { return prefix == "fd00:99::/64" && ip.indexOf("fd00:99::") == 0; }
var out = {};
var hosts = ` + string(hj) + `;
for (var i = 0; i < hosts.length; i++) out[hosts[i]] = FindProxyForURL("http://" + hosts[i] + "/", hosts[i]);
console.log(JSON.stringify(out));
`
	path := filepath.Join(t.TempDir(), "pac.js")
	if err := os.WriteFile(path, []byte(harness), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(node, path).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, b)
	}
	var got map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("node output %q: %v", b, err)
	}
	const proxy = "PROXY 127.0.0.1:48080; SOCKS5 127.0.0.1:41080"
	want := map[string]bool{"[fd00:99::5]": true, "2001:db8::1": false}
	for _, tt := range pacTable {
		want[tt.host] = tt.via
	}
	for h, via := range want {
		w := "DIRECT"
		if via {
			w = proxy
		}
		if got[h] != w {
			t.Errorf("FindProxyForURL(%q) = %q, want %q", h, got[h], w)
		}
	}
}

// A tunnel routing everything (0.0.0.0/0) sends every host to the proxy;
// one without the HTTP proxy's SOCKS5 companion names the HTTP proxy only.
func TestPACScriptDefaultRoute(t *testing.T) {
	cfg := Config{Peer: Peer{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}}
	if !PACRoutes(cfg, "8.8.8.8", nil) || !PACRoutes(cfg, "www.example.org", nil) || !PACRoutes(cfg, "cdn.example.net", pacResolve) {
		t.Error("0.0.0.0/0: want every IPv4 destination through the tunnel")
	}
	s := PACScript(cfg, "127.0.0.1:1", "")
	if !strings.Contains(s, `var relaisProxy = "PROXY 127.0.0.1:1";`) || !strings.Contains(s, `"Mask":0`) || !strings.Contains(s, "var relaisAll = true;") {
		t.Errorf("script:\n%s", s)
	}
}

var pacSafeDomain = regexp.MustCompile(`^[a-z0-9_-]+(\.[a-z0-9_-]+)*$`)

// Whatever a profile's dns_domains hold, the script's domain list is
// JSON whose entries are plain host names: nothing else gets in.
func FuzzPACScriptDomains(f *testing.F) {
	for _, s := range []string{"intra", `x"; alert(1); //`, "a\u2028b", "</script>", "ü.example", "a..b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		s := PACScript(Config{DNSDomains: []string{d, "intra"}}, "127.0.0.1:1", "")
		_, rest, ok := strings.Cut(s, "\nvar relaisDomains = ")
		if !ok {
			t.Fatal("no domain list")
		}
		line, _, _ := strings.Cut(rest, "\n")
		var got []string
		if err := json.Unmarshal([]byte(strings.TrimSuffix(line, ";")), &got); err != nil {
			t.Fatalf("domain list %q: %v", line, err)
		}
		for _, g := range got {
			if !pacSafeDomain.MatchString(g) {
				t.Fatalf("domain %q in the script", g)
			}
		}
		if !strings.HasPrefix(s, "// Relais:") || strings.Count(s, "\n") != strings.Count(PACScript(Config{}, "127.0.0.1:1", ""), "\n") {
			t.Fatal("the script's shape changed with a domain")
		}
	})
}
