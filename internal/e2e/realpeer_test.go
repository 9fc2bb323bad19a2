package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"relais/internal/testenv"
)

// System mode against a WireGuard peer we did not write: the helper (this
// binary as `relais helper`) makes a TUN interface in the client
// namespace; wg(8) reads it through the UAPI socket and shows a recent
// handshake with Debian's wireguard-go; curl, with no proxy, reaches the
// office's web server by address and, through the tunnel's DNS, by name.
func TestSystemModeRealPeer(t *testing.T) {
	testenv.NeedTools(t, "curl")
	l := newLab(t, true)
	h := l.startHelper("users")
	data, sig := l.profile(1, nil)
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil || !u.Status.Up || u.Status.Mode != "system" || u.Status.Interface != l.iface {
		t.Fatalf("up: %+v (%s %s)", u.Status, u.Code, u.Error)
	}

	body, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "10", "http://"+officeTunnel+":8080/")
	if err != nil || body != officePage {
		t.Fatalf("curl by address: %v: %q", err, body)
	}
	t.Logf("curl http://%s:8080/ (no proxy) → %q", officeTunnel, body)
	body, err = l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "10", "http://"+officeName+":8080/")
	if err != nil || body != officePage {
		t.Fatalf("curl by name (tunnel DNS through resolv.conf): %v: %q", err, body)
	}
	t.Logf("curl http://%s:8080/ → %q", officeName, body)

	show, err := l.inClient("wg", "show", l.iface)
	if err != nil {
		t.Fatalf("wg show %s: %v: %s", l.iface, err, show)
	}
	t.Logf("ip netns exec %s wg show %s:\n%s", l.client, l.iface, show)
	if !strings.Contains(show, l.officeKey.PublicKey().String()) {
		t.Errorf("wg show does not list the office peer")
	}
	hs, err := l.inClient("wg", "show", l.iface, "latest-handshakes")
	if err != nil {
		t.Fatalf("wg show latest-handshakes: %v: %s", err, hs)
	}
	f := strings.Fields(hs)
	if len(f) != 2 {
		t.Fatalf("latest-handshakes: %q", hs)
	}
	sec, _ := strconv.ParseInt(f[1], 10, 64)
	if age := time.Since(time.Unix(sec, 0)); sec == 0 || age > time.Minute {
		t.Errorf("no recent handshake: %q (age %v)", hs, age)
	}

	// Status through the helper, as relais status reads it (wgctrl).
	st := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, true)
	if st.Status == nil || st.Status.LastHandshake.IsZero() || st.Status.RxBytes == 0 {
		t.Errorf("helper status after traffic: %+v", st.Status)
	} else {
		t.Logf("helper status: up=%v endpoint=%s handshake %v ago rx=%d tx=%d", st.Status.Up, st.Status.Endpoint,
			time.Since(st.Status.LastHandshake).Round(time.Millisecond), st.Status.RxBytes, st.Status.TxBytes)
	}

	routes, _ := l.inClient("ip", "route", "show", "dev", l.iface)
	if strings.Contains(routes, "10.98.5.0/25") || strings.Contains(routes, officeVeth+" ") {
		t.Errorf("the endpoint is routed into the tunnel:\n%s", routes)
	}

	u.release(t)
	waitUntil(t, "the interface to go", 5*time.Second, func() bool {
		return exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() != nil
	})
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("resolv.conf after down: %q", b)
	}
	h.stop(5 * time.Second)
	if log := h.output(); l.holdsKey(log) {
		t.Errorf("the helper's log shows the private key:\n%s", log)
	} else {
		t.Logf("relais helper's log:\n%s", log)
	}
}

// Userspace mode against the same peer: a child process in the client
// namespace brings up tunnel.StartUserspace (no TUN, no privileges used)
// and fetches the office page through Dial and through its HTTP proxy.
func TestUserspaceModeRealPeer(t *testing.T) {
	l := newLab(t, true)
	p := l.startUserspace(false)
	line := p.firstLine(t, 40*time.Second)
	var res userspaceResult
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("userspace client: %q: %v", line, err)
	}
	t.Logf("userspace: Dial → %q, Dial by name → %q, HTTP proxy → %q; status %+v; errors %v",
		res.Dial, res.DialByName, res.HTTPProxy, res.Status, res.Errors)
	if res.Dial != officePage {
		t.Errorf("through Dial: %q", res.Dial)
	}
	if res.DialByName != officePage {
		t.Errorf("through Dial by name (tunnel DNS): %q", res.DialByName)
	}
	if res.HTTPProxy != officePage {
		t.Errorf("through the HTTP proxy: %q", res.HTTPProxy)
	}
	if res.Status.Mode != "userspace" || res.Status.LastHandshake.IsZero() {
		t.Errorf("status: %+v", res.Status)
	}
	// The userspace tunnel made no interface in the namespace.
	links, _ := l.inClient("ip", "-o", "link", "show", "type", "tun")
	if strings.TrimSpace(links) != "" {
		t.Errorf("a TUN interface in userspace mode: %s", links)
	}
}

// startUserspace runs a userspace tunnel in a child process inside the
// client namespace: it fetches the office page and reports (hold false),
// or prints its HTTP proxy's address and holds the tunnel until its stdin
// closes (hold true).
func (l *lab) startUserspace(hold bool) *proc {
	return l.startUserspaceAt(hold, fmt.Sprintf("%s:%d", officeVeth, wgPort))
}

// startUserspaceAt is startUserspace with the office's gateway at
// endpoint.
func (l *lab) startUserspaceAt(hold bool, endpoint string) *proc {
	t := l.t
	cfg := userspaceConfig{
		PrivateKey: l.clientKey.String(), PublicKey: l.officeKey.PublicKey().String(),
		Endpoint: endpoint, Address: clientTunnel + "/32",
		AllowedIPs: []string{"10.99.0.0/24"}, DNS: officeTunnel, Domain: "office.test",
	}
	b, _ := json.Marshal(cfg)
	file := filepath.Join(l.dir, "userspace.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", l.client, testBinary(t))
	cmd.Env = append(os.Environ(), roleEnv+"=userspace", "RELAIS_E2E_CONFIG="+file)
	if hold {
		cmd.Env = append(cmd.Env, "RELAIS_E2E_HOLD=1")
		if _, err := cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	return startProc(t, "userspace client", cmd)
}

// BenchmarkSystemThroughput measures a 64 MiB HTTP transfer from the
// office's web server to curl over system mode (the helper's TUN), to set
// beside the userspace proxy's figure in the README.
func BenchmarkSystemThroughput(b *testing.B) {
	testenv.NeedTools(b, "curl")
	l := newLab(b, true)
	l.startHelper("users")
	data, sig := l.profile(1, nil)
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil || !u.Status.Up {
		b.Fatalf("up: %s %s", u.Code, u.Error)
	}
	defer u.release(b)
	const size = 64 << 20
	url := fmt.Sprintf("http://%s:8080/bytes?n=%d", officeTunnel, size)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		out, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "120", "-o", "/dev/null", "-w", "%{size_download}", url)
		if err != nil || strings.TrimSpace(out) != strconv.Itoa(size) {
			b.Fatalf("curl: %v: %s", err, out)
		}
	}
}

// BenchmarkUserspaceProxyThroughput is the same transfer through the
// userspace tunnel's local HTTP proxy, against the same peer, for the
// comparison.
func BenchmarkUserspaceProxyThroughput(b *testing.B) {
	testenv.NeedTools(b, "curl")
	l := newLab(b, true)
	p := l.startUserspace(true)
	proxy := p.firstLine(b, 40*time.Second)
	const size = 64 << 20
	url := fmt.Sprintf("http://%s:8080/bytes?n=%d", officeTunnel, size)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		out, err := l.inClient("curl", "-x", "http://"+proxy, "-sS", "--max-time", "120", "-o", "/dev/null", "-w", "%{size_download}", url)
		if err != nil || strings.TrimSpace(out) != strconv.Itoa(size) {
			b.Fatalf("curl: %v: %s", err, out)
		}
	}
}
