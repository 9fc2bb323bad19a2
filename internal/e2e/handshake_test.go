//go:build linux

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/checks"
	"relais/internal/helper/helpertest"
	"relais/internal/testenv"
)

// noKeepaliveProfile is an organisation's profile as the schema allows it:
// no persistent_keepalive, and every app requiring the tunnel, so that no
// check sends anything through the tunnel before the tunnel check passed.
// Nothing but Relais itself can start the first handshake. endpoint and
// serverKey (base64) say where the gateway is and who it is.
func (l *lab) noKeepaliveProfile(endpoint, serverKey string) []byte {
	return fmt.Appendf(nil, `schema = 1
serial = 1

[organisation]
name = { fr = "Bureau d'essai", en = "Test office" }

[tunnel]
endpoint = %q
server_public_key = %q
address = ["%s/32"]
allowed_ips = ["10.99.0.0/24"]
dns = [%q]
dns_domains = ["office.test"]

[[apps]]
id = "web"
name = { fr = "Portail du bureau", en = "Office portal" }
criticality = "essential"
requires = ["tunnel"]
  [[apps.checks]]
  id = "web-ip"
  type = "http"
  target = "http://%s:8080/"
  conditions = ["[STATUS] == 200"]
  timeout = "2s"

[[apps]]
id = "annuaire"
name = { fr = "Annuaire", en = "Directory" }
criticality = "important"
requires = ["tunnel"]
  [[apps.checks]]
  id = "annuaire-dns"
  type = "dns"
  target = %q
  conditions = ["[DNS_RCODE] == NOERROR"]
  timeout = "2s"

[[contacts]]
role = "helpdesk"
name = { fr = "Centre de services", en = "Service desk" }
phone = "+1-555-0100"
`, endpoint, serverKey, clientTunnel, officeTunnel, officeTunnel, officeName)
}

func (l *lab) officeEndpoint() string { return fmt.Sprintf("%s:%d", officeVeth, wgPort) }

// Mode urgence (the engine over a userspace tunnel) against Debian's
// wireguard-go with a profile without persistent_keepalive, every app
// requiring the tunnel: Relais must start the handshake itself, and the
// first run is operational.
func TestHandshakeWithoutKeepaliveUserspace(t *testing.T) {
	l := newLab(t, true)
	c := l.startEngineWith(l.noKeepaliveProfile(l.officeEndpoint(), l.officeKey.PublicKey().String()))
	r := c.wait(t, "a first report", time.Time{}, 30*time.Second, func(*faultReport) bool { return true })
	t.Logf("first report: %s", r)
	if tc := r.check("tunnel"); tc == nil || tc.State != string(checks.StateOK) {
		t.Errorf("the tunnel check: %+v: nothing started the handshake", tc)
	}
	if r.Phase != "operational" || !r.allOK() {
		t.Errorf("first run %s, want operational with every check ok", r)
	}
	if r.LastHandshake.IsZero() {
		t.Error("no handshake when the first report was made")
	}
}

// The same profile, but the gateway does not know Relais (the profile
// names another server key): Relais sends handshake initiations, nothing
// comes back. The reason says the gateway does not answer, not that
// nobody asked.
func TestHandshakeNoAnswerUserspace(t *testing.T) {
	l := newLab(t, true)
	other, _ := wgtypes.GeneratePrivateKey()
	c := l.startEngineWith(l.noKeepaliveProfile(l.officeEndpoint(), other.PublicKey().String()))
	r := c.wait(t, "a first report", time.Time{}, 30*time.Second, func(*faultReport) bool { return true })
	t.Logf("first report: %s", r)
	if tc := r.check("tunnel"); tc == nil || tc.State != string(checks.StateFailed) || tc.Code != checks.CodeTunnelNoAnswer {
		t.Errorf("the tunnel check: %+v, want failed/%s", tc, checks.CodeTunnelNoAnswer)
	}
	if r.Apps["web"] != string(checks.StateBlocked) && r.Apps["web"] != string(checks.StateFailed) {
		t.Errorf("web: %s", r.Apps["web"])
	}
}

// A gateway Relais cannot send to at all (no route to its address): no
// initiation ever leaves, and the reason says so instead of blaming the
// server.
func TestHandshakeNotSentUserspace(t *testing.T) {
	l := newLab(t, true)
	c := l.startEngineWith(l.noKeepaliveProfile(fmt.Sprintf("10.97.0.1:%d", wgPort), l.officeKey.PublicKey().String()))
	r := c.wait(t, "a first report", time.Time{}, 30*time.Second, func(*faultReport) bool { return true })
	t.Logf("first report: %s", r)
	if tc := r.check("tunnel"); tc == nil || tc.State != string(checks.StateFailed) || tc.Code != checks.CodeTunnelNotSent {
		t.Errorf("the tunnel check: %+v, want failed/%s", tc, checks.CodeTunnelNotSent)
	}
}

// System mode: the helper's wireguard-go on a real TUN interface, a
// profile without keepalive, and no traffic at all: the helper starts the
// handshake itself, as wg(8) shows.
func TestHandshakeWithoutKeepaliveSystem(t *testing.T) {
	l := newLab(t, true)
	l.startHelper("users")
	data, sig := l.profile(1, func(tn *helpertest.Tunnel) { tn.Keepalive = 0 })
	if strings.Contains(string(data), "persistent_keepalive") {
		t.Fatal("the profile still has a keepalive")
	}
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil || !u.Status.Up {
		t.Fatalf("up: %+v (%s %s)", u.Status, u.Code, u.Error)
	}
	defer u.release(t)
	var hs string
	deadline := time.Now().Add(8 * time.Second)
	for {
		out, err := l.inClient("wg", "show", l.iface, "latest-handshakes")
		if err != nil {
			t.Fatalf("wg show latest-handshakes: %v: %s", err, out)
		}
		hs = out
		if f := strings.Fields(out); len(f) == 2 && f[1] != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no handshake %v after the helper brought the tunnel up: %q", 8*time.Second, hs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f := strings.Fields(hs)
	sec, _ := strconv.ParseInt(f[1], 10, 64)
	t.Logf("handshake at %v, without any traffic and without keepalive", time.Unix(sec, 0).Format(time.TimeOnly))
}

// BenchmarkTimeToOperationalRealOffice is Mode urgence's time to
// operational (the engine's own figure: from Start to every essential app
// green) over a userspace tunnel against Debian's wireguard-go, with a
// profile without persistent_keepalive: each iteration a new engine
// process, a new tunnel and a first handshake.
func BenchmarkTimeToOperationalRealOffice(b *testing.B) {
	testenv.NeedRoot(b)
	testenv.NeedTools(b, "ip", "wireguard-go", "wg")
	l := newLab(b, true)
	data := l.noKeepaliveProfile(l.officeEndpoint(), l.officeKey.PublicKey().String())
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		c := l.startEngineWith(data)
		r := c.wait(b, "operational", time.Time{}, 30*time.Second, func(r *faultReport) bool { return r.TimeToOperational > 0 })
		total += r.TimeToOperational
		c.p.stop(5 * time.Second)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/operational")
}
