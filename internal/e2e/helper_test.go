package e2e

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/helper/helpertest"
)

// nobody is the unprivileged user the refused callers run as.
const nobody = 65534

// usersGID is the group the lab's helpers allow (Debian's "users").
const usersGID = 100

// Only root and members of the helper's group reach it: the socket's mode
// keeps others out, and were the mode wrong, the helper's own SO_PEERCRED
// check still refuses them; a member of the group (a supplementary group,
// read from /proc) is let in.
func TestHelperRefusesOutsiders(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	fi, err := os.Stat(l.socket())
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 || st.Uid != 0 || st.Gid != usersGID {
		t.Fatalf("socket %v uid %d gid %d, want 0660 root:users", fi.Mode().Perm(), st.Uid, st.Gid)
	}
	data, sig := l.profile(1, nil)
	req := l.upRequest(data, sig, clientTunnel+"/32")
	outsider := &syscall.Credential{Uid: nobody, Gid: nobody}

	u := l.up(req, outsider, false)
	if u.Status != nil || !strings.Contains(u.Error, "permission denied") {
		t.Fatalf("uid %d with the socket at 0660: %+v %s", nobody, u.Status, u.Error)
	}
	t.Logf("uid %d, socket 0660: %s", nobody, u.Error)

	// A socket left world-writable by mistake: the helper itself refuses.
	if err := os.Chmod(l.socket(), 0o666); err != nil {
		t.Fatal(err)
	}
	u = l.up(req, outsider, false)
	if u.Code != "forbidden" {
		t.Fatalf("uid %d with the socket at 0666: code %q %s", nobody, u.Code, u.Error)
	}
	t.Logf("uid %d, socket 0666: helper refused: %s", nobody, u.Error)
	if out, _ := l.inClient("ip", "-o", "link", "show", "type", "tun"); strings.TrimSpace(out) != "" {
		t.Errorf("a refused caller made an interface: %s", out)
	}
	if err := os.Chmod(l.socket(), 0o660); err != nil {
		t.Fatal(err)
	}

	member := &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{usersGID}}
	u = l.up(req, member, true)
	if u.Status == nil || u.Status.Mode != "system" {
		t.Fatalf("uid %d in group users: %s %s", nobody, u.Code, u.Error)
	}
}

// The helper verifies the profile itself: one signed by a key the machine
// does not trust, or not signed, is refused, and nothing changes.
func TestHelperRefusesUntrustedProfile(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	data, _ := l.profile(1, nil)
	stranger := helpertest.NewKey(t)
	for name, sig := range map[string][]byte{"untrusted_key": stranger.Sign(data), "unsigned": nil} {
		u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
		if u.Code != name || u.Status != nil {
			t.Errorf("%s: got code %q status %+v", name, u.Code, u.Status)
		}
		t.Logf("%s: refused: %s", name, u.Error)
	}
	if out, _ := l.inClient("ip", "-o", "link", "show", "type", "tun"); strings.TrimSpace(out) != "" {
		t.Errorf("an interface after refusals: %s", out)
	}
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("resolv.conf changed: %q", b)
	}
}

// A second Up replaces the first cleanly: one interface, the new
// addresses, routes and DNS only; the first caller leaving afterwards does
// not take the second's tunnel down.
func TestHelperSecondUpReplaces(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	d1, s1 := l.profile(1, func(tn *helpertest.Tunnel) { tn.AllowedIPs = []string{"10.99.0.0/24"} })
	first := l.up(l.upRequest(d1, s1, "10.99.0.2/32"), nil, false)
	if first.Status == nil {
		t.Fatalf("first up: %s %s", first.Code, first.Error)
	}
	d2, s2 := l.profile(2, func(tn *helpertest.Tunnel) {
		tn.AllowedIPs = []string{"10.99.1.0/24"}
		tn.DNS = []string{"10.99.1.1"}
		tn.DNSDomains = []string{"autre.test"}
	})
	second := l.up(l.upRequest(d2, s2, "10.99.1.2/32"), nil, false)
	if second.Status == nil {
		t.Fatalf("second up: %s %s", second.Code, second.Error)
	}

	check := func(when string) {
		t.Helper()
		links, _ := l.inClient("ip", "-o", "link", "show", "type", "tun")
		if n := strings.Count(strings.TrimSpace(links), "\n") + 1; strings.TrimSpace(links) == "" || n != 1 || !strings.Contains(links, l.iface) {
			t.Errorf("%s: TUN interfaces:\n%s", when, links)
		}
		addrs, _ := l.inClient("ip", "-o", "addr", "show", "dev", l.iface)
		if !strings.Contains(addrs, "10.99.1.2/32") || strings.Contains(addrs, "10.99.0.2") {
			t.Errorf("%s: addresses:\n%s", when, addrs)
		}
		routes, _ := l.inClient("ip", "route", "show", "dev", l.iface)
		if !strings.Contains(routes, "10.99.1.0/24") || strings.Contains(routes, "10.99.0.0/24") {
			t.Errorf("%s: routes:\n%s", when, routes)
		}
		allowed, _ := l.inClient("wg", "show", l.iface, "allowed-ips")
		if !strings.Contains(allowed, "10.99.1.0/24") || strings.Contains(allowed, "10.99.0.0/24") {
			t.Errorf("%s: wg allowed-ips: %s", when, allowed)
		}
		rc, _ := os.ReadFile(l.resolvConf())
		if !strings.Contains(string(rc), "nameserver 10.99.1.1") || strings.Contains(string(rc), "10.99.0.1") {
			t.Errorf("%s: resolv.conf:\n%s", when, rc)
		}
	}
	check("after the second up")
	first.release(t)
	check("after the first caller left")
	second.release(t)
	waitUntil(t, "the interface to go", 5*time.Second, func() bool {
		return exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() != nil
	})
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("resolv.conf after down: %q", b)
	}
}

// A helper killed with SIGKILL cannot clean up: its TUN (and the routes
// through it) go with the process, and the next helper restores DNS and
// forgets the state before it serves anyone.
func TestHelperKilledLeavesNothing(t *testing.T) {
	l := newLab(t, false)
	h := l.startHelper("users")
	data, sig := l.profile(1, nil)
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil {
		t.Fatalf("up: %s %s", u.Code, u.Error)
	}
	if routes, _ := l.inClient("ip", "route", "show", "dev", l.iface); !strings.Contains(routes, "10.99.0.0/24") {
		t.Fatalf("no route through the tunnel:\n%s", routes)
	}
	if rc, _ := os.ReadFile(l.resolvConf()); !strings.Contains(string(rc), "nameserver "+officeTunnel) {
		t.Fatalf("resolv.conf not changed:\n%s", rc)
	}
	state, err := os.ReadFile(l.statePath())
	if err != nil {
		t.Fatalf("no state file: %v", err)
	}
	if l.holdsKey(string(state)) {
		t.Errorf("the state file holds the private key:\n%s", state)
	}

	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = h.wait(5 * time.Second)
	waitUntil(t, "the TUN to go with the process", 5*time.Second, func() bool {
		return exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() != nil
	})
	if routes, _ := l.inClient("ip", "route"); strings.Contains(routes, "10.99.0.0/24") {
		t.Errorf("a route survived the helper:\n%s", routes)
	}
	rc, _ := os.ReadFile(l.resolvConf())
	t.Logf("after SIGKILL, before restart, resolv.conf still reads:\n%s", rc)

	l.startHelper("users")
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("resolv.conf not restored by the restarted helper: %q", b)
	}
	if _, err := os.Stat(l.statePath()); !os.IsNotExist(err) {
		t.Errorf("state file still there: %v", err)
	}
	if _, err := os.Stat("/var/run/wireguard/" + l.iface + ".sock"); !os.IsNotExist(err) {
		t.Errorf("UAPI socket still there: %v", err)
	}
	// And the restarted helper serves again.
	again := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if again.Status == nil || !again.Status.Up {
		t.Fatalf("up after restart: %s %s", again.Code, again.Error)
	}
	again.release(t)
}

// relais helper refuses to start without root, with a message that says
// what to do, and exit code 2.
func TestHelperNeedsRoot(t *testing.T) {
	l := newLab(t, false)
	cmd := exec.Command(testBinary(t), "helper", "--socket", l.dir+"/nobody.sock", "--lang", "en")
	cmd.Env = append(os.Environ(), roleEnv+"=relais")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "must run with administrator rights") {
		t.Fatalf("exit %v: %s", err, out)
	}
	t.Logf("as uid %d: %s", nobody, strings.TrimSpace(string(out)))
}

// SIGTERM (the service stopping) tears down a tunnel whose caller is still
// connected: interface, routes, DNS and state.
func TestHelperSIGTERMTearsDown(t *testing.T) {
	l := newLab(t, false)
	h := l.startHelper("users")
	data, sig := l.profile(1, nil)
	u := l.up(l.upRequest(data, sig, clientTunnel+"/32"), nil, false)
	if u.Status == nil {
		t.Fatalf("up: %s %s", u.Code, u.Error)
	}
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(10 * time.Second); err != nil {
		t.Fatalf("helper after SIGTERM: %v\n%s", err, h.output())
	}
	if exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() == nil {
		t.Error("interface still there")
	}
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("resolv.conf: %q", b)
	}
	for _, f := range []string{l.statePath(), l.socket(), "/var/run/wireguard/" + l.iface + ".sock"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still there", f)
		}
	}
}
