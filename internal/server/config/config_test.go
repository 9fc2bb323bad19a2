package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseEmptyIsValid(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "\n# only a comment\n", "\xef\xbb\xbf"} {
		c, err := Parse("server.toml", []byte(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if c.Listen != DefaultListen || c.DatabaseURL != "" || c.TLS.Enabled() {
			t.Errorf("%q: %+v", text, c)
		}
		if c.Limits != (Limits{DefaultMaxReportBytes, DefaultMaxBundleBytes, DefaultRatePerMinute, DefaultRateBurst}) {
			t.Errorf("limits %+v", c.Limits)
		}
		if want := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}; len(c.Networks) != 2 ||
			c.Networks[0] != want[0] || c.Networks[1] != want[1] {
			t.Errorf("networks %v, want loopback", c.Networks)
		}
	}
}

func TestParseFull(t *testing.T) {
	t.Parallel()
	c, err := Parse("server.toml", []byte(`
listen = "0.0.0.0:443"
data_dir = "/var/lib/relais-server"
database_url = "postgres://relais:secret@db.intra/relais?sslmode=verify-full"
trusted_networks = ["10.20.0.0/16", "fd00::/8", "192.0.2.7", "::ffff:10.30.0.0/112"]
submit_token_file = "/etc/relais/submit.token"
helpdesk_identity_file = "/etc/relais/helpdesk.agekey"
notice_key_file = "/etc/relais/notices.key"

[tls]
cert_file = "/etc/relais/tls.crt"
key_file = "/etc/relais/tls.key"

[limits]
max_report_bytes = 65536
max_bundle_bytes = 10485760
rate_per_minute = 30
rate_burst = 5
`))
	if err != nil {
		t.Fatal(err)
	}
	var nets []string
	for _, p := range c.Networks {
		nets = append(nets, p.String())
	}
	if got := strings.Join(nets, " "); got != "10.20.0.0/16 fd00::/8 192.0.2.7/32 10.30.0.0/16" {
		t.Errorf("networks %s", got)
	}
	if c.Limits != (Limits{65536, 10485760, 30, 5}) || !c.TLS.Enabled() || c.Listen != "0.0.0.0:443" {
		t.Errorf("%+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		code, key  string
		line       int
	}{
		{"unknown key", "listen = \"127.0.0.1:1\"\nlisten_port = 8443\n", CodeUnknownKey, "listen_port", 2},
		{"unknown key in a table", "[tls]\ncert = \"x\"\n", CodeUnknownKey, "tls.cert", 2},
		{"syntax", "listen = \n", CodeSyntax, "", 1},
		{"wrong type", "\n\nlisten = 8443\n", CodeSyntax, "", 3},
		{"listen not host:port", "listen = \"localhost\"\n", CodeListen, "listen", 1},
		{"listen bad port", "listen = \"127.0.0.1:99999\"\n", CodeListen, "listen", 1},
		{"plain http on all interfaces", "\nlisten = \":8443\"\n", CodePlainHTTP, "listen", 2},
		{"plain http on a public address", "listen = \"192.0.2.1:80\"\n", CodePlainHTTP, "listen", 1},
		{"database url", "database_url = \"mysql://x\"\n", CodeDatabaseURL, "database_url", 1},
		{"network", "trusted_networks = [\"10.0.0.0/33\"]\n", CodeNetwork, "trusted_networks", 1},
		{"network name", "trusted_networks = [\"intra\"]\n", CodeNetwork, "trusted_networks", 1},
		{"tls half", "[tls]\ncert_file = \"a\"\n", CodeTLSIncomplete, "tls", 1},
		{"limit", "[limits]\nmax_report_bytes = 10\n", CodeLimit, "limits.max_report_bytes", 2},
		{"rate", "[limits]\n\nrate_per_minute = -1.0\n", CodeLimit, "limits.rate_per_minute", 3},
		{"rate nan", "[limits]\nrate_per_minute = nan\n", CodeLimit, "limits.rate_per_minute", 2},
		{"burst", "[limits]\nrate_burst = -3\n", CodeLimit, "limits.rate_burst", 2},
		{"blank path", "submit_token_file = \"  \"\n", CodeEmptyPath, "submit_token_file", 1},
		{"wg no interface", "[wireguard]\npool = [\"10.0.0.0/24\"]\n", CodeWGInterface, "wireguard.interface", 0},
		{"wg bad interface", "[wireguard]\ninterface = \"wg 0\"\npool = [\"10.0.0.0/24\"]\n", CodeWGInterface, "wireguard.interface", 2},
		{"wg no pool", "[wireguard]\ninterface = \"wg0\"\n", CodeWGPool, "wireguard.pool", 0},
		{"wg pool host", "[wireguard]\ninterface = \"wg0\"\npool = [\"10.0.0.1/24\"]\n", CodeWGPool, "wireguard.pool", 3},
		{"wg pool /32", "[wireguard]\ninterface = \"wg0\"\npool = [\"10.0.0.1/32\"]\n", CodeWGPool, "wireguard.pool", 3},
		{"wg pool name", "[wireguard]\ninterface = \"wg0\"\npool = [\"intra\"]\n", CodeWGPool, "wireguard.pool", 3},
		{"wg pool overlap", "[wireguard]\ninterface = \"wg0\"\npool = [\"10.0.0.0/16\", \"10.0.1.0/24\"]\n", CodeWGPool, "wireguard.pool", 3},
		{"wg validity", "[wireguard]\ninterface = \"wg0\"\npool = [\"10.0.0.0/24\"]\ncode_validity = \"8\"\n", CodeDuration, "wireguard.code_validity", 4},
		{"wg interval", "[wireguard]\ninterface = \"wg0\"\npool = [\"10.0.0.0/24\"]\nreconcile_interval = \"1ms\"\n", CodeDuration, "wireguard.reconcile_interval", 4},
		{"wg unknown key", "[wireguard]\ninterface = \"wg0\"\npool = [\"10.0.0.0/24\"]\nport = 51820\n", CodeUnknownKey, "wireguard.port", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("server.toml", []byte(tc.text))
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("err = %v, want an ErrorList", err)
			}
			e := list[0]
			if e.Code != tc.code || e.Line != tc.line || (tc.key != "" && e.Key != tc.key) {
				t.Errorf("got code %q line %d key %q (%v), want %q line %d key %q", e.Code, e.Line, e.Key, e, tc.code, tc.line, tc.key)
			}
			if !strings.HasPrefix(e.Error(), "server config: server.toml:") {
				t.Errorf("error %q", e.Error())
			}
		})
	}
}

// [wireguard]: absent is nil; present, its networks parsed, the defaults
// applied and its files resolved beside server.toml.
func TestWireGuard(t *testing.T) {
	t.Parallel()
	c, err := Parse("server.toml", nil)
	if err != nil || c.WireGuard != nil {
		t.Fatalf("%+v %v", c, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(path, []byte(`[wireguard]
interface = "wg-relais"
pool = ["10.20.128.0/17", "fd00:20::/64"]
setup_tokens_file = "tokens.toml"
grant_key_file = "/etc/relais/grant.key"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := c.WireGuard
	if w == nil || w.Interface != "wg-relais" || len(w.Pools) != 2 || w.Pools[0] != netip.MustParsePrefix("10.20.128.0/17") ||
		w.Pools[1] != netip.MustParsePrefix("fd00:20::/64") || w.CodeTTL != DefaultCodeValidity ||
		w.Reconcile != DefaultReconcileInterval || w.RemoveUnknownPeers ||
		w.SetupTokensFile != filepath.Join(dir, "tokens.toml") || w.GrantKeyFile != "/etc/relais/grant.key" {
		t.Fatalf("%+v", w)
	}
	c, err = Parse("server.toml", []byte("[wireguard]\ninterface = \"wg0\"\npool = [\"fd00::/120\"]\n"+
		"remove_unknown_peers = true\ncode_validity = \"2h\"\nreconcile_interval = \"5s\"\n"))
	if err != nil || !c.WireGuard.RemoveUnknownPeers || c.WireGuard.CodeTTL != 2*time.Hour || c.WireGuard.Reconcile != 5*time.Second {
		t.Fatalf("%+v %v", c.WireGuard, err)
	}
}

func TestDatabaseURLNeverInErrors(t *testing.T) {
	t.Parallel()
	_, err := Parse("server.toml", []byte(`database_url = "mysql://u:hunter2@db/x"`))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func TestTLSAllowsAnyAddress(t *testing.T) {
	t.Parallel()
	if _, err := Parse("s.toml", []byte("listen = \"[::]:443\"\n[tls]\ncert_file = \"c\"\nkey_file = \"k\"\n")); err != nil {
		t.Fatal(err)
	}
}

func TestExplicitEmptyTrustedNetworks(t *testing.T) {
	t.Parallel()
	c, err := Parse("s.toml", []byte("trusted_networks = []\n"))
	if err != nil || len(c.Networks) != 0 {
		t.Fatalf("%v %v", c.Networks, err)
	}
}

func TestLoadResolvesPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(path, []byte("submit_token_file = \"submit.token\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, DefaultDataDirName) || c.SubmitTokenFile != filepath.Join(dir, "submit.token") {
		t.Errorf("%+v", c)
	}
	c, err = Load(path, func(k string) string {
		if k == "STATE_DIRECTORY" {
			return "/var/lib/relais-server:/var/lib/other"
		}
		return ""
	})
	if err != nil || c.DataDir != "/var/lib/relais-server" {
		t.Errorf("%v %v", c.DataDir, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml"), nil); err == nil {
		t.Error("a missing file loaded")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("listen = \"127.0.0.1:8443\"\ntrusted_networks = [\"10.20.0.0/16\"]\n[tls]\ncert_file = \"a\"\nkey_file = \"b\"\n"))
	f.Add([]byte("[limits]\nmax_report_bytes = 1048576\nrate_per_minute = 1e300\n"))
	f.Add([]byte("database_url = \"postgres://u:p@h/d\"\n[\"tls\"]\n'cert_file' = 'x'"))
	f.Add([]byte("[wireguard]\ninterface = \"wg0\"\npool = [\"10.20.128.0/17\", \"fd00:20::/64\"]\ncode_validity = \"8h\"\nreconcile_interval = \"30s\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.toml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not an ErrorList", err)
			}
			for _, e := range list {
				if e.Code == "" || e.Line < 0 {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		if c.Listen == "" || c.Limits.MaxReportBytes <= 0 || c.Limits.MaxBundleBytes <= 0 || !(c.Limits.RatePerMinute > 0) || c.Limits.RateBurst <= 0 {
			t.Fatalf("accepted without defaults: %+v", c)
		}
		if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
			t.Fatalf("half TLS accepted")
		}
		for _, p := range c.Networks {
			if !p.IsValid() {
				t.Fatalf("invalid prefix accepted")
			}
		}
		if w := c.WireGuard; w != nil {
			if w.Interface == "" || len(w.Pools) == 0 || len(w.Pools) != len(w.Pool) || w.CodeTTL <= 0 || w.Reconcile <= 0 {
				t.Fatalf("[wireguard] accepted incomplete: %+v", w)
			}
			for i, p := range w.Pools {
				if !p.IsValid() || p != p.Masked() || p.Bits() > p.Addr().BitLen()-2 {
					t.Fatalf("pool %v accepted", p)
				}
				for _, q := range w.Pools[:i] {
					if q.Overlaps(p) {
						t.Fatalf("overlapping pools %v %v accepted", q, p)
					}
				}
			}
		}
	})
}
