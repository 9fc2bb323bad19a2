package profile

import (
	"errors"
	"net"
	"strings"
	"testing"
)

// A check may not aim at this machine or its link (a local service, the
// cloud metadata service at 169.254.169.254) unless it says allow_local.
func TestCheckTargetLocal(t *testing.T) {
	const old = "  type = \"http\"\n  target = \"https://paie.intra.example.org/\"\n"
	for _, tc := range []struct {
		typ, target string
		local       bool
	}{
		{"http", "http://169.254.169.254/latest/meta-data", true},
		{"http", "http://127.0.0.1:8080/", true},
		{"http", "http://127.9.9.9/", true},
		{"http", "https://localhost/", true},
		{"http", "https://LocalHost./", true},
		{"http", "http://admin.localhost:8080/", true},
		{"http", "http://[::1]:8080/", true},
		{"http", "http://[::ffff:127.0.0.1]/", true},
		{"http", "http://[fe80::1]/", true},
		{"http", "http://0.0.0.0:80/", true},
		{"tcp", "169.254.169.254:80", true},
		{"tcp", "[fe80::1%eth0]:22", true},
		{"tls", "[::]:443", true},
		{"tls", "localhost:443", true},
		{"http", "https://paie.intra.example.org/", false},
		{"http", "http://10.20.0.5/", false},
		{"tcp", "192.0.2.1:443", false},
		{"tls", "[2001:db8::1]:443", false},
		{"dns", "localhost", false}, // a dns check resolves, it connects to nothing
		{"http", "http://localhost.example.org/", false},
	} {
		check := "  type = \"" + tc.typ + "\"\n  target = \"" + tc.target + "\"\n"
		src := strings.Replace(base, old, check, 1)
		_, err := Parse("p.toml", []byte(src))
		if !tc.local {
			if err != nil {
				t.Errorf("%s %s: %v", tc.typ, tc.target, err)
			}
			continue
		}
		var l ErrorList
		if !errors.As(err, &l) || len(l) != 1 || l[0].Code != "target_local" || l[0].Path != "apps[0].checks[0].target" {
			t.Errorf("%s %s: got %v, want target_local on apps[0].checks[0].target", tc.typ, tc.target, err)
			continue
		}
		if !strings.Contains(l[0].Msg, "allow_local = true") {
			t.Errorf("%s %s: %q does not say how to allow it", tc.typ, tc.target, l[0].Msg)
		}
		// Said on purpose: accepted.
		if _, err := Parse("p.toml", []byte(src+"  allow_local = true\n")); err != nil {
			t.Errorf("%s %s with allow_local: %v", tc.typ, tc.target, err)
		}
	}
}

// splitHostPort, which keeps this package off net, accepts and splits
// exactly what net.SplitHostPort does: tcp and tls targets and the
// tunnel's endpoint validate as they did.
func TestSplitHostPortIsNets(t *testing.T) {
	for _, s := range []string{
		"", ":", "::", ":443", "host", "host:", "host:443", "host:443:1", "a:b:c",
		"192.0.2.1:443", "[2001:db8::1]:443", "[2001:db8::1]", "[2001:db8::1]443", "[2001:db8::1]:443:1",
		"[fe80::1%eth0]:22", "[::]:443", "[]:80", "[host]:80", "[host:80", "host]:80", "ho[st:80", "[ho[st]:80",
		"[host]]:80", "[host]:8]0", "[host]x:80", "2001:db8::1:443", "vpn.example.org:51820", "VPN.Example.org.:51820",
		"[a]:[b]", "]:80", "[:80", "[]:",
	} {
		wantHost, wantPort, err := net.SplitHostPort(s)
		host, port, ok := splitHostPort(s)
		if ok != (err == nil) || host != wantHost || port != wantPort {
			t.Errorf("splitHostPort(%q) = %q, %q, %v; net.SplitHostPort: %q, %q, %v", s, host, port, ok, wantHost, wantPort, err)
		}
	}
}

func FuzzSplitHostPortIsNets(f *testing.F) {
	for _, s := range []string{"host:443", "[fe80::1%eth0]:22", "[a]:[b]", "[host]]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		wantHost, wantPort, err := net.SplitHostPort(s)
		host, port, ok := splitHostPort(s)
		if ok != (err == nil) || host != wantHost || port != wantPort {
			t.Errorf("splitHostPort(%q) = %q, %q, %v; net.SplitHostPort: %q, %q, %v", s, host, port, ok, wantHost, wantPort, err)
		}
	})
}
