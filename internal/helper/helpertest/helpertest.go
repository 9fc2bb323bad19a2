// Package helpertest builds what the helper's tests need: a signed
// continuity profile describing a given WireGuard peer, and a managed
// configuration trusting its key. It is imported by tests only and must
// never be used by the app.
package helpertest

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
)

// Tunnel is the [tunnel] section of a test profile.
type Tunnel struct {
	Endpoint        string
	Endpoints       []string // standby gateways; none: no endpoints key
	ServerPublicKey string   // base64
	Address         []string
	AllowedIPs      []string
	AddressPool     []string
	DNS             []string
	DNSDomains      []string
	MTU             int
	Keepalive       int
}

// Profile is a valid continuity profile with the given tunnel and serial.
func Profile(serial int, t Tunnel) []byte {
	q := func(list []string) string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(out, ", ") + "]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "schema = 1\nserial = %d\n\n[organisation]\nname = { fr = \"Bureau d'essai\", en = \"Test office\" }\n\n", serial)
	fmt.Fprintf(&b, "[tunnel]\nendpoint = %q\nserver_public_key = %q\nallowed_ips = %s\n", t.Endpoint, t.ServerPublicKey, q(t.AllowedIPs))
	if len(t.Endpoints) > 0 {
		fmt.Fprintf(&b, "endpoints = %s\n", q(t.Endpoints))
	}
	if len(t.Address) > 0 {
		fmt.Fprintf(&b, "address = %s\n", q(t.Address))
	}
	if len(t.AddressPool) > 0 {
		fmt.Fprintf(&b, "address_pool = %s\n", q(t.AddressPool))
	}
	if len(t.DNS) > 0 {
		fmt.Fprintf(&b, "dns = %s\n", q(t.DNS))
	}
	if len(t.DNSDomains) > 0 {
		fmt.Fprintf(&b, "dns_domains = %s\n", q(t.DNSDomains))
	}
	if t.MTU > 0 {
		fmt.Fprintf(&b, "mtu = %d\n", t.MTU)
	}
	if t.Keepalive > 0 {
		fmt.Fprintf(&b, "persistent_keepalive = %d\n", t.Keepalive)
	}
	b.WriteString(`
[[apps]]
id = "bureau"
name = { fr = "Bureau", en = "Office" }
criticality = "essential"

  [[apps.checks]]
  id = "bureau-web"
  type = "tcp"
  target = "10.99.0.1:8080"
  conditions = ["[CONNECTED] == true"]
`)
	return []byte(b.String())
}

// Expiring is the profile data with an expires date (top level, after
// the serial).
func Expiring(data []byte, expires time.Time) []byte {
	line := fmt.Sprintf("expires = %s\n", expires.UTC().Format(time.RFC3339))
	s := string(data)
	if i := strings.Index(s, "\n\n[organisation]"); i >= 0 {
		return []byte(s[:i+1] + line + s[i+1:])
	}
	return data
}

// WithEnrolment is the profile data with an [enrolment] section naming
// url and, when key is not empty, the public key that signs grants.
func WithEnrolment(data []byte, url, key string) []byte {
	sec := fmt.Sprintf("\n[enrolment]\nurl = %q\n", url)
	if key != "" {
		sec += fmt.Sprintf("public_key = %q\n", key)
	}
	s := string(data)
	if i := strings.Index(s, "\n[[apps]]"); i >= 0 {
		return []byte(s[:i] + sec + s[i:])
	}
	return []byte(s + sec)
}

// Key is a minisign key pair.
type Key struct {
	Public  minisign.PublicKey
	Private minisign.PrivateKey
}

// NewKey generates a minisign key pair.
func NewKey(t testing.TB) Key {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{pub, priv}
}

// Sign returns the detached signature of data.
func (k Key) Sign(data []byte) []byte { return minisign.Sign(k.Private, data) }

// WriteManaged writes a managed configuration trusting keys at path.
func WriteManaged(t testing.TB, path string, keys ...Key) {
	t.Helper()
	var ks []string
	for _, k := range keys {
		ks = append(ks, fmt.Sprintf("%q", k.Public.String()))
	}
	cfg := fmt.Sprintf("trusted_keys = [%s]\n", strings.Join(ks, ", "))
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}
