package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"relais/internal/helper/helpertest"
	"relais/internal/status"
	"relais/internal/testenv"
)

// A moving gateway against the real office: the profile names the
// gateway, the client namespace's hosts file says where it is, and the
// office's side of the link changes address, as a disaster-recovery site
// taking over answers somewhere else under the same name.

// gatewayName is the office's gateway as the profile names it (a name
// only the client namespace's hosts file knows).
const (
	gatewayName = "office.relais.test"
	deadName    = "office-ancien.relais.test" // a gateway that no longer answers
	movedVeth   = "10.98.5.3"                 // where the office moves to
	deadVeth    = "10.98.5.9"                 // nothing answers there
)

func envDuration(name string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(name))
	return d
}

// endpointEntries is what the timeline says of the endpoints: each
// tunnel_up and tunnel_endpoint entry, as "kind detail".
func endpointEntries(tl []status.TimelineEntry) []string {
	var out []string
	for _, te := range tl {
		if te.Kind == status.EventTunnelUp || te.Kind == status.EventTunnelEndpoint {
			out = append(out, te.Kind+" "+te.Detail)
		}
	}
	return out
}

// setHosts writes the client namespace's hosts file ("address name"
// lines). ip netns exec bind-mounts it over /etc/hosts in what it starts;
// it is rewritten in place (same inode), so a process already running
// reads the new lines too, as Go's resolver does (it looks at the file
// again every 5 s).
func (l *lab) setHosts(lines ...string) {
	l.t.Helper()
	f, err := os.OpenFile(filepath.Join("/etc/netns", l.client, "hosts"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = f.WriteString("127.0.0.1 localhost\n" + strings.Join(lines, "\n") + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		l.t.Fatal(err)
	}
}

// moveOffice moves the office's side of the link from one address to
// another: its WireGuard (listening on every address) answers only at the
// new one.
func (l *lab) moveOffice(from, to string) {
	l.t.Helper()
	vo := "rvo" + l.id
	l.ip("-n", l.office, "addr", "del", from+"/24", "dev", vo)
	l.ip("-n", l.office, "addr", "add", to+"/24", "dev", vo)
}

// roamProfile is a profile whose gateway is endpoint, then the standby
// ones, and whose one essential app is the office's page through the
// tunnel.
func (l *lab) roamProfile(endpoint string, standby ...string) []byte {
	var list string
	if len(standby) > 0 {
		q := make([]string, len(standby))
		for i, s := range standby {
			q[i] = fmt.Sprintf("%q", s)
		}
		list = "endpoints = [" + strings.Join(q, ", ") + "]\n"
	}
	return fmt.Appendf(nil, `schema = 1
serial = 1

[organisation]
name = { fr = "Bureau d'essai", en = "Test office" }

[tunnel]
endpoint = %q
%sserver_public_key = %q
address = ["%s/32"]
allowed_ips = ["10.99.0.0/24"]
persistent_keepalive = 25

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
`, endpoint, list, l.officeKey.PublicKey().String(), clientTunnel, officeTunnel)
}

func endpointAt(name, addr string) string {
	return fmt.Sprintf("%s:%d (%s:%d)", name, wgPort, addr, wgPort)
}

// roamLab is the office with its gateway known by name to the client
// namespace.
func roamLab(t testing.TB) *lab {
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "ip", "wireguard-go", "wg")
	l := newLab(t, true)
	l.setHosts(officeVeth + " " + gatewayName)
	return l
}

// Mode urgence follows the office when it moves: the same engine and
// tunnel (never started again) reach the office at its new address once
// the name resolves there, and the tunnel's status and the timeline name
// the new endpoint.
func TestUserspaceFollowsMovingGateway(t *testing.T) {
	l := roamLab(t)
	l.engineEnv = []string{"RELAIS_E2E_RERESOLVE=1s"}
	l.followMove(l.roamProfile(fmt.Sprintf("%s:%d", gatewayName, wgPort)), nil, nil)
}

// followMove starts the engine on data, whose gateway is gatewayName at
// officeVeth, moves the office to movedVeth and waits until the engine
// reaches it there with the same tunnel, the timeline naming the new
// endpoint. beforeMove and afterMove, when set, check more once the
// engine is operational at each address.
func (l *lab) followMove(data []byte, beforeMove, afterMove func()) {
	t := l.t
	t.Helper()
	c := l.startEngineWith(data)
	before := endpointAt(gatewayName, officeVeth)
	r := c.wait(t, "operational at "+before, time.Time{}, 40*time.Second, func(r *faultReport) bool {
		return r.allOK() && r.Endpoint == before
	})
	t.Logf("before the move: %s; timeline %q", r, r.Endpoints)
	if beforeMove != nil {
		beforeMove()
	}

	l.moveOffice(officeVeth, movedVeth)
	l.setHosts(movedVeth + " " + gatewayName)
	moved := time.Now()
	after := endpointAt(gatewayName, movedVeth)
	r = c.wait(t, "operational at "+after, moved, 60*time.Second, func(r *faultReport) bool {
		return r.allOK() && r.Endpoint == after
	})
	t.Logf("after the move (%v): %s; timeline %q", r.Finished.Sub(moved).Round(time.Millisecond), r, r.Endpoints)
	want := []string{status.EventTunnelUp + " endpoint " + before, status.EventTunnelEndpoint + " endpoint " + after}
	if !slices.Equal(r.Endpoints, want) {
		t.Errorf("timeline: %q, want %q", r.Endpoints, want)
	}
	checkStarts(t, c.since(time.Time{}))
	if afterMove != nil {
		afterMove()
	}
}

// The first gateway does not answer (its name still resolves, to an
// address where nothing listens): once it stayed silent past the
// threshold, the standby from tunnel.endpoints is used, by the same
// tunnel.
func TestUserspaceStandbyGateway(t *testing.T) {
	l := roamLab(t)
	l.setHosts(deadVeth+" "+deadName, officeVeth+" "+gatewayName)
	l.engineEnv = []string{"RELAIS_E2E_RERESOLVE=1s", "RELAIS_E2E_STALE=10s"}
	l.followStandby(l.roamProfile(fmt.Sprintf("%s:%d", deadName, wgPort), fmt.Sprintf("%s:%d", gatewayName, wgPort)))
}

// followStandby starts the engine on data, whose first gateway (deadName)
// does not answer and whose standby is gatewayName at officeVeth, and
// waits until the same tunnel reaches the office through the standby,
// the timeline naming it.
func (l *lab) followStandby(data []byte) {
	t := l.t
	t.Helper()
	c := l.startEngineWith(data)
	standby := endpointAt(gatewayName, officeVeth)
	r := c.wait(t, "operational at "+standby, time.Time{}, 60*time.Second, func(r *faultReport) bool {
		return r.allOK() && r.Endpoint == standby
	})
	t.Logf("%s; timeline %q", r, r.Endpoints)
	want := []string{status.EventTunnelUp + " endpoint " + endpointAt(deadName, deadVeth), status.EventTunnelEndpoint + " endpoint " + standby}
	if !slices.Equal(r.Endpoints, want) {
		t.Errorf("timeline: %q, want %q", r.Endpoints, want)
	}
	if first := c.since(time.Time{})[0]; first.allOK() {
		t.Errorf("the first run found the office through a gateway that does not answer: %s", &first)
	}
	checkStarts(t, c.since(time.Time{}))
}

// System mode takes the list too, when the tunnel comes up: the first
// endpoint does not resolve (no such name, no DNS server reachable), the
// helper uses the standby one, and its status names it.
func TestSystemModeStandbyEndpoint(t *testing.T) {
	testenv.NeedTools(t, "curl")
	l := roamLab(t)
	l.startHelper("users")
	standby := fmt.Sprintf("%s:%d", gatewayName, wgPort)
	data, sig := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.Endpoint, tn.Endpoints = fmt.Sprintf("absent.relais.test:%d", wgPort), []string{standby}
	})
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil || !u.Status.Up {
		t.Fatalf("up: %s %s", u.Code, u.Error)
	}
	defer u.release(t)
	if got, want := u.Status.EndpointShown(), endpointAt(gatewayName, officeVeth); got != want {
		t.Errorf("status endpoint %q, want %q", got, want)
	}
	body, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "10", "http://"+officeTunnel+":8080/")
	if err != nil || body != officePage {
		t.Fatalf("curl through the standby gateway: %v: %q", err, body)
	}
}

func checkStarts(t testing.TB, reps []faultReport) {
	t.Helper()
	for _, r := range reps {
		if r.TunnelStarts != 1 {
			t.Errorf("run %d: the tunnel was started %d times: following the gateway must not restart it", r.Run, r.TunnelStarts)
		}
	}
}

// BenchmarkGatewayMove is the time from the office's move (its new
// address in the hosts file) to traffic flowing again through the local
// HTTP proxy of a userspace tunnel with the default options (the name
// resolved again every 5 s; Go's resolver reads the hosts file again at
// most every 5 s). The office moves back and forth between two addresses;
// ms/move is the median.
func BenchmarkGatewayMove(b *testing.B) {
	testenv.NeedTools(b, "curl")
	l := roamLab(b)
	p := l.startUserspaceAt(true, fmt.Sprintf("%s:%d", gatewayName, wgPort))
	proxy := p.firstLine(b, 40*time.Second)
	get := func() bool {
		out, err := l.inClient("curl", "-x", "http://"+proxy, "-sS", "--max-time", "1", "http://"+officeTunnel+":8080/")
		return err == nil && out == officePage
	}
	waitUntil(b, "the office through the proxy", 30*time.Second, get)
	l.benchMoves(b, get, p.output)
}

// benchMoves moves the office back and forth b.N times and reports the
// median time from the move (the hosts file rewritten) to get passing
// again as ms/move; output is what to show when it never does.
func (l *lab) benchMoves(b *testing.B, get func() bool, output func() string) {
	addrs := [2]string{officeVeth, movedVeth}
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		from, to := addrs[i%2], addrs[(i+1)%2]
		l.moveOffice(from, to)
		l.setHosts(to + " " + gatewayName)
		moved := time.Now()
		for !get() {
			if time.Since(moved) > 2*time.Minute {
				b.Fatalf("no traffic 2 minutes after the move to %s:\n%s", to, output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		took = append(took, time.Since(moved))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "ms/move")
	b.Logf("move to traffic: %v", took)
}
