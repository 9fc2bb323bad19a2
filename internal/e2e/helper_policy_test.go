//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/helper/helpertest"
)

// Two members of the helper's group (supplementary group users), as the
// attacks need: A brings a tunnel up, B tries to undo or take it.
var (
	memberA = &syscall.Credential{Uid: 65533, Gid: 65533, Groups: []uint32{usersGID}}
	memberB = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{usersGID}}
)

// markFile is where the helper keeps its high-water mark (helper.MarkFileName
// in the lab's state directory).
func (l *lab) markFile() string { return filepath.Join(l.stateDir(), "profile-mark.json") }

// tunnelState is what the machine's traffic sees of the tunnel: its
// addresses, its routes and the resolver.
func (l *lab) tunnelState() (addrs, routes, resolv string) {
	addrs, _ = l.inClient("ip", "-o", "addr", "show", "dev", l.iface)
	routes, _ = l.inClient("ip", "route", "show", "dev", l.iface)
	b, _ := os.ReadFile(l.resolvConf())
	return addrs, routes, string(b)
}

func (l *lab) noTunnel(t *testing.T, when string) {
	t.Helper()
	if out, _ := l.inClient("ip", "-o", "link", "show", "type", "tun"); strings.TrimSpace(out) != "" {
		t.Errorf("%s: a TUN interface is up:\n%s", when, out)
	}
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("%s: resolv.conf changed: %q", when, b)
	}
}

// A member brings the current profile (serial 2) up; another member then
// offers the older signed profile (serial 1: the whole 10.99.0.0/16 and
// another DNS server). The helper refuses it as a rollback, the tunnel
// stays serial 2's, and the refusal holds with no tunnel up and after the
// helper restarts (the mark is on disk, root's, 0600).
func TestHelperRefusesRollback(t *testing.T) {
	l := newLab(t, false)
	h := l.startHelper("users")
	d2, s2 := l.profile(2, func(tn *helpertest.Tunnel) { tn.AllowedIPs = []string{"10.99.0.0/24"} })
	d1, s1 := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.AllowedIPs = []string{"10.99.0.0/16"}
		tn.DNS = []string{"10.99.9.9"}
	})
	a := l.up(l.upRequest(d2, s2, "10.99.0.2/32"), memberA, false)
	if a.Status == nil {
		t.Fatalf("member A, serial 2: %s %s", a.Code, a.Error)
	}
	current := func(when string) {
		t.Helper()
		addrs, routes, rc := l.tunnelState()
		if !strings.Contains(addrs, "10.99.0.2/32") || strings.Contains(addrs, "10.99.0.3") {
			t.Errorf("%s: addresses:\n%s", when, addrs)
		}
		if !strings.Contains(routes, "10.99.0.0/24") || strings.Contains(routes, "10.99.0.0/16") {
			t.Errorf("%s: routes:\n%s", when, routes)
		}
		if !strings.Contains(rc, "nameserver "+officeTunnel) || strings.Contains(rc, "10.99.9.9") {
			t.Errorf("%s: resolv.conf:\n%s", when, rc)
		}
	}
	current("serial 2 up")

	old := l.upRequest(d1, s1, "10.99.0.3/32")
	b := l.up(old, memberB, false)
	if b.Code != "rollback" || b.Status != nil {
		t.Fatalf("member B, serial 1 over serial 2: code %q status %+v %s", b.Code, b.Status, b.Error)
	}
	t.Logf("member B, serial 1: refused: %s", b.Error)
	current("after the rollback was refused")

	a.release(t)
	waitUntil(t, "the interface to go", 5*time.Second, func() bool {
		return exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() != nil
	})
	if b := l.up(old, memberB, false); b.Code != "rollback" {
		t.Errorf("member B, serial 1, no tunnel up: code %q %s", b.Code, b.Error)
	}

	fi, err := os.Stat(l.markFile())
	if err != nil {
		t.Fatalf("no high-water mark: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("mark: uid %d mode %v, want root's 0600", st.Uid, fi.Mode().Perm())
	}
	h.stop(5 * time.Second)
	l.startHelper("users")
	if b := l.up(old, memberB, false); b.Code != "rollback" {
		t.Errorf("member B, serial 1, restarted helper: code %q %s", b.Code, b.Error)
	}
	l.noTunnel(t, "after the refusals")
}

// A signed profile whose expiry date has passed is refused, for a member
// and for root alike, and nothing changes on the machine.
func TestHelperRefusesExpiredProfile(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	data, _ := l.profile(1, nil)
	data = helpertest.Expiring(data, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	req := l.upRequest(data, l.trusted.Sign(data), clientTunnel+"/32")
	for name, cred := range map[string]*syscall.Credential{"member": memberA, "root": nil} {
		u := l.up(req, cred, false)
		if u.Code != "expired" || u.Status != nil {
			t.Errorf("%s: code %q status %+v %s", name, u.Code, u.Status, u.Error)
		}
		t.Logf("%s: refused: %s", name, u.Error)
	}
	l.noTunnel(t, "after the refusals")
	if _, err := os.Stat(l.markFile()); !os.IsNotExist(err) {
		t.Errorf("a refused profile moved the mark: %v", err)
	}
}

// Member B may not replace member A's live tunnel, not even with a valid
// profile, the same or a newer one; A's second session may; root may. A
// leaving afterwards does not take root's tunnel down.
func TestHelperMemberCannotReplaceAnothersTunnel(t *testing.T) {
	l := newLab(t, false)
	l.startHelper("users")
	d1, s1 := l.profile(1, nil)
	d2, s2 := l.profile(2, nil)
	addrs := func() string { a, _, _ := l.tunnelState(); return a }

	a := l.up(l.upRequest(d1, s1, "10.99.0.2/32"), memberA, false)
	if a.Status == nil {
		t.Fatalf("member A: %s %s", a.Code, a.Error)
	}
	for _, try := range []struct {
		name      string
		data, sig []byte
	}{{"the same profile", d1, s1}, {"a newer profile", d2, s2}} {
		b := l.up(l.upRequest(try.data, try.sig, "10.99.0.3/32"), memberB, false)
		if b.Code != "other_owner" || b.Status != nil {
			t.Errorf("member B, %s: code %q status %+v %s", try.name, b.Code, b.Status, b.Error)
		}
		t.Logf("member B, %s: refused: %s", try.name, b.Error)
		if got := addrs(); !strings.Contains(got, "10.99.0.2/32") || strings.Contains(got, "10.99.0.3") {
			t.Fatalf("member B changed member A's tunnel:\n%s", got)
		}
	}

	a2 := l.up(l.upRequest(d1, s1, "10.99.0.5/32"), memberA, false)
	if a2.Status == nil {
		t.Fatalf("member A's second session: %s %s", a2.Code, a2.Error)
	}
	root := l.up(l.upRequest(d2, s2, "10.99.0.4/32"), nil, false)
	if root.Status == nil {
		t.Fatalf("root: %s %s", root.Code, root.Error)
	}
	a.release(t)
	a2.release(t)
	if got := addrs(); !strings.Contains(got, "10.99.0.4/32") {
		t.Fatalf("root's tunnel after member A left:\n%s", got)
	}
	root.release(t)
}
