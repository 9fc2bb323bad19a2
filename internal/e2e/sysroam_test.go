package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/helper"
	"relais/internal/helper/helpertest"
	"relais/internal/profile"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// System mode follows a moving gateway too: the real helper's tunnel,
// held by the engine as relais up holds it, against the office that
// moves.

// engineHelperEnv makes the fault engine bring its tunnel up through the
// helper at that socket (system mode) instead of in userspace.
const engineHelperEnv = "RELAIS_E2E_ENGINE_HELPER"

// helperTunnel is the fault engine's tunnel in system mode: the signed
// profile sent to the helper, as relais up sends it.
func helperTunnel(ctx context.Context, socket string, data, sig []byte, priv tunnel.Key, p *profile.Profile) (tunnel.Tunnel, error) {
	req := helper.UpRequest{Profile: data, Signature: sig, PrivateKey: priv}
	for _, a := range p.Tunnel.Address {
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			return nil, err
		}
		req.Addresses = append(req.Addresses, pfx)
	}
	c, err := helper.Dial(ctx, socket)
	if err != nil {
		return nil, err
	}
	t, err := c.Up(ctx, req)
	if err != nil {
		c.Close()
		return nil, err
	}
	return t, nil
}

// sysRoamProfile is roamProfile with the office's link inside the
// tunnel's allowed IPs, as the lab's system-mode profiles have it: the
// helper's routes are split around the gateway's address, and must move
// with it.
func (l *lab) sysRoamProfile(endpoint string, standby ...string) []byte {
	data := l.roamProfile(endpoint, standby...)
	const from = `allowed_ips = ["10.99.0.0/24"]`
	if !bytes.Contains(data, []byte(from)) {
		l.t.Fatalf("roamProfile changed: no %s", from)
	}
	return bytes.Replace(data, []byte(from), []byte(`allowed_ips = ["10.99.0.0/24", "10.98.5.0/25"]`), 1)
}

// helperStatus asks the helper for its tunnel's state (root may).
func (l *lab) helperStatus() tunnel.Status {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := helper.Dial(ctx, l.socket())
	if err != nil {
		l.t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	return st
}

// checkGatewayRoutes asserts the client's routes with the gateway at
// gw: gw reached outside the tunnel, the office's tunnel address and
// each of through (addresses in the allowed IPs) through it, and the
// helper's state file recording exactly the routes on its interface.
func (l *lab) checkGatewayRoutes(gw string, through ...string) {
	t := l.t
	t.Helper()
	dev := "dev " + l.iface + " "
	if out := l.ip("-n", l.client, "route", "get", gw); strings.Contains(out, dev) {
		t.Errorf("the gateway %s is routed into the tunnel: %s", gw, out)
	}
	for _, a := range append([]string{officeTunnel}, through...) {
		if out := l.ip("-n", l.client, "route", "get", a); !strings.Contains(out, dev) {
			t.Errorf("%s is not routed through the tunnel: %s", a, out)
		}
	}
	var kernel []string
	for _, line := range strings.Split(strings.TrimSpace(l.ip("-n", l.client, "-o", "route", "show", "dev", l.iface)), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			if !strings.Contains(f[0], "/") {
				f[0] += "/32"
			}
			kernel = append(kernel, f[0])
		}
	}
	b, err := os.ReadFile(l.statePath())
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Routes []string `json:"routes"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	slices.Sort(kernel)
	slices.Sort(st.Routes)
	if !slices.Equal(kernel, st.Routes) {
		t.Errorf("the state file records the routes %q, the interface has %q", st.Routes, kernel)
	}
}

// Mode urgence in system mode follows the office when it moves: the
// helper resolves the gateway's name again while the tunnel is up, points
// WireGuard at the new address and moves its routes (the office's link is
// inside allowed_ips: the old address's exclusion goes, the new one's
// comes), without the engine starting the tunnel again; the helper's
// status and the engine's timeline name the new endpoint, and a program
// outside Relais (curl, no proxy) reaches the office again.
func TestSystemModeFollowsMovingGateway(t *testing.T) {
	testenv.NeedTools(t, "curl")
	l := roamLab(t)
	l.startHelper("users")
	l.engineEnv = []string{engineHelperEnv + "=" + l.socket()}
	l.followMove(l.sysRoamProfile(fmt.Sprintf("%s:%d", gatewayName, wgPort)),
		func() { l.checkGatewayRoutes(officeVeth, movedVeth) },
		func() {
			after := endpointAt(gatewayName, movedVeth)
			if st := l.helperStatus(); !st.Up || st.EndpointShown() != after || st.Mode != tunnel.ModeSystem {
				t.Errorf("helper status: up %v, mode %s, endpoint %q, want %q", st.Up, st.Mode, st.EndpointShown(), after)
			}
			l.checkGatewayRoutes(movedVeth, officeVeth)
			body, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "10", "http://"+officeTunnel+":8080/")
			if err != nil || body != officePage {
				t.Errorf("curl through the moved gateway: %v: %q", err, body)
			}
		})
}

// startRoamHelper runs the helper (helper.Run, as relais helper runs it)
// inside the client namespace with the roam loop's test options:
// RELAIS_E2E_RERESOLVE and RELAIS_E2E_STALE in env.
func (l *lab) startRoamHelper(env ...string) *proc {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.client, testBinary(l.t))
	cmd.Env = append(os.Environ(), roleEnv+"=helper", "RELAIS_E2E_SOCKET="+l.socket(), "RELAIS_E2E_IFACE="+l.iface,
		"RELAIS_CONFIG="+l.managedPath(), "STATE_DIRECTORY="+l.stateDir())
	cmd.Env = append(cmd.Env, env...)
	p := startProc(l.t, "helper", cmd)
	l.waitHelper()
	return p
}

// runHelper is the helper role: helper.Run until SIGTERM.
func runHelper() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := helper.Run(ctx, helper.Options{
		Socket: os.Getenv("RELAIS_E2E_SOCKET"), Interface: os.Getenv("RELAIS_E2E_IFACE"), Group: "users",
		ConfigPath: os.Getenv("RELAIS_CONFIG"), StateDir: os.Getenv("STATE_DIRECTORY"),
		ReresolveEvery: envDuration("RELAIS_E2E_RERESOLVE"), EndpointStaleAfter: envDuration("RELAIS_E2E_STALE"),
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+"helper: "+format+"\n", args...)
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// System mode goes to the standby gateway while up: the first gateway's
// name resolves, to an address inside allowed_ips where nothing answers;
// once it stayed silent past the threshold the helper points WireGuard at
// the standby and moves its routes, the engine never starting the tunnel
// again.
func TestSystemModeStandbyGatewayWhileUp(t *testing.T) {
	l := roamLab(t)
	l.setHosts(deadVeth+" "+deadName, officeVeth+" "+gatewayName)
	h := l.startRoamHelper("RELAIS_E2E_RERESOLVE=1s", "RELAIS_E2E_STALE=10s")
	l.engineEnv = []string{engineHelperEnv + "=" + l.socket()}
	l.followStandby(l.sysRoamProfile(fmt.Sprintf("%s:%d", deadName, wgPort), fmt.Sprintf("%s:%d", gatewayName, wgPort)))
	if st := l.helperStatus(); st.EndpointShown() != endpointAt(gatewayName, officeVeth) {
		t.Errorf("helper status: endpoint %q", st.EndpointShown())
	}
	l.checkGatewayRoutes(officeVeth, deadVeth)
	// The helper says each change, and never a key.
	out := h.output()
	var said []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "endpoint") {
			said = append(said, line)
		}
	}
	t.Logf("the helper's log:\n%s", strings.Join(said, "\n"))
	if !strings.Contains(out, "10.98.5.9:51820 -> 10.98.5.1:51820") {
		t.Errorf("the helper's log does not say the change of endpoint:\n%s", out)
	}
	if l.holdsKey(out) {
		t.Errorf("the helper's log holds a key:\n%s", out)
	}
}

// BenchmarkSystemGatewayMove is BenchmarkGatewayMove in system mode: the
// real helper with its default options (the name resolved again every
// 5 s), the office's link inside allowed_ips (its routes move too), and
// curl without a proxy, as any program.
func BenchmarkSystemGatewayMove(b *testing.B) {
	testenv.NeedTools(b, "curl")
	l := roamLab(b)
	h := l.startHelper("users")
	data, sig := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.Endpoint, tn.DNS, tn.DNSDomains = fmt.Sprintf("%s:%d", gatewayName, wgPort), nil, nil
	})
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil || !u.Status.Up {
		b.Fatalf("up: %s %s", u.Code, u.Error)
	}
	defer u.release(b)
	get := func() bool {
		out, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "1", "http://"+officeTunnel+":8080/")
		return err == nil && out == officePage
	}
	waitUntil(b, "the office through the system tunnel", 30*time.Second, get)
	l.benchMoves(b, get, h.output)
}

// runGatewayDNS is the client's own DNS server (outside the tunnel), on
// RELAIS_E2E_ADDR: it answers gatewayName with the address in the file
// RELAIS_E2E_GATEWAY_FILE, read at each query, as a DNS a
// disaster-recovery site updates.
func runGatewayDNS() int {
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(netip.MustParseAddr(os.Getenv("RELAIS_E2E_ADDR")), 53).String())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	file := os.Getenv("RELAIS_E2E_GATEWAY_FILE")
	fmt.Println("ready")
	serveDNS(pc, func(name string) (netip.Addr, bool) {
		b, err := os.ReadFile(file)
		if err != nil || name != gatewayName {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(strings.TrimSpace(string(b)))
		return a, err == nil
	})
	return 0
}

// System mode follows a gateway moved by DNS when the profile's DNS
// answers every name (no dns_domains; resolv.conf rewritten, as without
// systemd-resolved): the tunnel's DNS server does not know the gateway
// and cannot be reached once it moved, so the helper asks the server of
// the resolv.conf it replaced (the client's own, outside the tunnel; no
// hosts file entry).
func TestSystemModeReresolvesOutsideTheTunnel(t *testing.T) {
	testenv.NeedTools(t, "curl")
	l := roamLab(t)
	l.setHosts()
	gwFile := filepath.Join(l.dir, "gateway-address")
	setGateway := func(a string) {
		if err := os.WriteFile(gwFile, []byte(a+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setGateway(officeVeth)
	cmd := exec.Command("ip", "netns", "exec", l.client, testBinary(t))
	cmd.Env = append(os.Environ(), roleEnv+"=gatewaydns", "RELAIS_E2E_ADDR=127.0.0.1", "RELAIS_E2E_GATEWAY_FILE="+gwFile)
	if line := startProc(t, "gateway DNS", cmd).firstLine(t, 10*time.Second); line != "ready" {
		t.Fatalf("gateway DNS: %q", line)
	}
	if err := os.WriteFile(l.resolvConf(), []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := l.startHelper("users")
	data, sig := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.Endpoint, tn.DNSDomains = fmt.Sprintf("%s:%d", gatewayName, wgPort), nil
	})
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil || !u.Status.Up {
		t.Fatalf("up: %s %s\n%s", u.Code, u.Error, h.output())
	}
	defer u.release(t)
	if b, _ := os.ReadFile(l.resolvConf()); !strings.Contains(string(b), "nameserver "+officeTunnel) {
		t.Fatalf("the tunnel's DNS does not answer every name: resolv.conf reads\n%s", b)
	}
	get := func() bool {
		out, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "1", "http://"+officeTunnel+":8080/")
		return err == nil && out == officePage
	}
	waitUntil(t, "the office through the system tunnel", 30*time.Second, get)

	l.moveOffice(officeVeth, movedVeth)
	setGateway(movedVeth)
	waitUntil(t, "the office at its new address", 60*time.Second, get)
	if st := l.helperStatus(); st.EndpointShown() != endpointAt(gatewayName, movedVeth) {
		t.Errorf("helper status: endpoint %q", st.EndpointShown())
	}
	l.checkGatewayRoutes(movedVeth, officeVeth)
}
