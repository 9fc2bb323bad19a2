package helper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netlink"

	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// These tests talk to a fake systemd-resolved: a private dbus-daemon and
// an org.freedesktop.resolve1 object exported by the test itself. They
// check the D-Bus calls the helper makes and their arguments (a unit test
// of the calls: the real resolved is not on this machine); the helper
// finds the bus through DBUS_SYSTEM_BUS_ADDRESS, as it would the system's.

// fakeResolved records the calls made to org.freedesktop.resolve1.Manager.
type fakeResolved struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeResolved) record(format string, args ...any) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return nil
}

func (f *fakeResolved) taken() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeResolved) SetLinkDNS(ifindex int32, servers []linkDNS) *dbus.Error {
	var s []string
	for _, x := range servers {
		a, _ := netip.AddrFromSlice(x.Address)
		s = append(s, fmt.Sprintf("%d:%s", x.Family, a))
	}
	return f.record("SetLinkDNS %d %s", ifindex, strings.Join(s, " "))
}

func (f *fakeResolved) SetLinkDomains(ifindex int32, domains []linkDomain) *dbus.Error {
	var s []string
	for _, d := range domains {
		s = append(s, fmt.Sprintf("%s:%v", d.Domain, d.RoutingOnly))
	}
	return f.record("SetLinkDomains %d %s", ifindex, strings.Join(s, " "))
}

func (f *fakeResolved) SetLinkDefaultRoute(ifindex int32, enable bool) *dbus.Error {
	return f.record("SetLinkDefaultRoute %d %v", ifindex, enable)
}

func (f *fakeResolved) RevertLink(ifindex int32) *dbus.Error {
	return f.record("RevertLink %d", ifindex)
}

// connectFake serves obj as resolved on a private system bus and
// connects to it as the helper does.
func connectFake(t *testing.T, obj any) *dbus.Conn {
	t.Helper()
	serveResolved(t, startBus(t), obj)
	conn, why := findResolved(context.Background())
	if conn == nil {
		t.Fatalf("resolved not found: %s", why)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// oldResolved is a resolved before version 240: no SetLinkDefaultRoute.
type oldResolved struct{ f *fakeResolved }

func (o oldResolved) SetLinkDNS(i int32, s []linkDNS) *dbus.Error { return o.f.SetLinkDNS(i, s) }
func (o oldResolved) SetLinkDomains(i int32, d []linkDomain) *dbus.Error {
	return o.f.SetLinkDomains(i, d)
}

// startBus runs a private dbus-daemon for the test and makes it the
// "system bus" of the code under test. It returns the bus address.
func startBus(t *testing.T) string {
	t.Helper()
	testenv.NeedTools(t, "dbus-daemon")
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dbus-daemon:\n%s", stderr.String())
		}
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon said no address: %v", err)
	}
	addr = strings.TrimSpace(addr)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	return addr
}

// serveResolved exports obj as org.freedesktop.resolve1 on the bus.
func serveResolved(t *testing.T, addr string, obj any) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(obj, resolvedPath, resolvedIface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(resolvedName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", resolvedName, reply, err)
	}
}

// The calls resolvectl used to make, over D-Bus, by interface index:
// the servers (IPv4 and IPv6, as family and bytes), routing-only domains
// and no default route when the profile names domains; "~." and the
// default route when it names none; RevertLink to undo.
func TestResolvedCalls(t *testing.T) {
	// resolved's signatures: SetLinkDNS(i a(iay)), SetLinkDomains(i a(sb)).
	if got := dbus.SignatureOf([]linkDNS{}).String(); got != "a(iay)" {
		t.Errorf("servers are sent as %s, want a(iay)", got)
	}
	if got := dbus.SignatureOf([]linkDomain{}).String(); got != "a(sb)" {
		t.Errorf("domains are sent as %s, want a(sb)", got)
	}
	fake := &fakeResolved{}
	conn := connectFake(t, fake)
	ctx := context.Background()

	servers := []netip.Addr{netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("fd99::1")}
	if err := resolvedSetLink(ctx, conn, 42, servers, []string{"office.test", "~corp.test"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"SetLinkDNS 42 2:10.99.0.1 10:fd99::1",
		"SetLinkDomains 42 office.test:true corp.test:true",
		"SetLinkDefaultRoute 42 false",
	}
	if got := fake.taken(); !reflect.DeepEqual(got, want) {
		t.Errorf("with domains:\n got %q\nwant %q", got, want)
	}

	if err := resolvedSetLink(ctx, conn, 42, servers[:1], nil); err != nil {
		t.Fatal(err)
	}
	want = []string{"SetLinkDNS 42 2:10.99.0.1", "SetLinkDomains 42 .:true", "SetLinkDefaultRoute 42 true"}
	if got := fake.taken(); !reflect.DeepEqual(got, want) {
		t.Errorf("without domains:\n got %q\nwant %q", got, want)
	}

	if err := resolvedRevertLink(ctx, conn, 42); err != nil {
		t.Fatal(err)
	}
	if got := fake.taken(); !reflect.DeepEqual(got, []string{"RevertLink 42"}) {
		t.Errorf("revert: %q", got)
	}
}

// A resolved without SetLinkDefaultRoute (before 240) still gets the
// servers and domains; any other error is the helper's error.
func TestResolvedOldVersion(t *testing.T) {
	addr := startBus(t)
	fake := &fakeResolved{}
	serveResolved(t, addr, oldResolved{fake})
	conn, why := findResolved(context.Background())
	if conn == nil {
		t.Fatalf("resolved not found: %s", why)
	}
	defer conn.Close()
	if err := resolvedSetLink(context.Background(), conn, 7, []netip.Addr{netip.MustParseAddr("10.99.0.1")}, []string{"office.test"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"SetLinkDNS 7 2:10.99.0.1", "SetLinkDomains 7 office.test:true"}
	if got := fake.taken(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if err := resolvedRevertLink(context.Background(), conn, 7); err == nil {
		t.Error("RevertLink on an object without it: no error")
	}
}

// No resolve1 on the bus, or no bus at all: the fallback is used, and the
// reason says which.
func TestResolvedAbsent(t *testing.T) {
	startBus(t)
	if conn, why := findResolved(context.Background()); conn != nil || !strings.Contains(why, "not on the system bus") {
		t.Errorf("a bus without resolve1: %v %q", conn, why)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "none"))
	if conn, why := findResolved(context.Background()); conn != nil || !strings.Contains(why, "no system bus") {
		t.Errorf("no bus: %v %q", conn, why)
	}
}

// The backend's DNS step with resolved on the bus: the link's index, the
// state says "resolved", resolv.conf is not touched, the log says which
// path; undoing reverts the link.
func TestResolvedBackendPath(t *testing.T) {
	addr := startBus(t)
	fake := &fakeResolved{}
	serveResolved(t, addr, fake)
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	dir := t.TempDir()
	rc := filepath.Join(dir, "resolv.conf")
	orig := "nameserver 127.0.0.53\n"
	if err := os.WriteFile(rc, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	b := newSystemBackend("lo", filepath.Join(dir, "state.json"), rc, func(f string, a ...any) { fmt.Fprintf(&log, f+"\n", a...) })
	cur := &systemTunnelState{st: state{Interface: "lo"}}
	cfg := tunnel.Config{DNS: []netip.Addr{netip.MustParseAddr("10.99.0.1")}, DNSDomains: []string{"office.test"}}
	if err := b.setDNS(context.Background(), cur, cfg); err != nil {
		t.Fatal(err)
	}
	i := lo.Attrs().Index
	want := []string{fmt.Sprintf("SetLinkDNS %d 2:10.99.0.1", i), fmt.Sprintf("SetLinkDomains %d office.test:true", i), fmt.Sprintf("SetLinkDefaultRoute %d false", i)}
	if got := fake.taken(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if st, _ := readState(b.statePath); st == nil || st.DNS == nil || st.DNS.Mode != "resolved" {
		t.Errorf("state: %+v", st)
	}
	if b, _ := os.ReadFile(rc); string(b) != orig {
		t.Errorf("resolv.conf touched: %q", b)
	}
	if !strings.Contains(log.String(), "through systemd-resolved (D-Bus)") {
		t.Errorf("log does not say the path:\n%s", log.String())
	}
	if err := undoDNS(cur.st.DNS, "lo"); err != nil {
		t.Fatal(err)
	}
	if got := fake.taken(); !reflect.DeepEqual(got, []string{fmt.Sprintf("RevertLink %d", i)}) {
		t.Errorf("undo: %q", got)
	}
}

// Without resolved, where resolv.conf may not be written (the shipped
// unit keeps /etc read-only: here a read-only bind mount, as
// ProtectSystem=strict makes), the DNS step fails with no_resolver and
// leaves nothing to restore; the log says the path.
func TestResolvedAbsentReadOnlyEtc(t *testing.T) {
	testenv.NeedRoot(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "none"))
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(etc, "resolv.conf")
	orig := "nameserver 192.0.2.53\n"
	if err := os.WriteFile(rc, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(etc, etc, "", syscall.MS_BIND, ""); err != nil {
		testenv.Need(t, false, "bind mount: "+err.Error())
	}
	t.Cleanup(func() { _ = syscall.Unmount(etc, syscall.MNT_DETACH) })
	if err := syscall.Mount("", etc, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		testenv.Need(t, false, "read-only remount: "+err.Error())
	}

	var log strings.Builder
	b := newSystemBackend("relais-test0", filepath.Join(dir, "state.json"), rc, func(f string, a ...any) { fmt.Fprintf(&log, f+"\n", a...) })
	cur := &systemTunnelState{st: state{Interface: "relais-test0"}}
	cfg := tunnel.Config{DNS: []netip.Addr{netip.MustParseAddr("10.99.0.1")}}
	err := b.setDNS(context.Background(), cur, cfg)
	var he *Error
	if !errors.As(err, &he) || he.Code != CodeNoResolver {
		t.Fatalf("setDNS on a read-only /etc: %v, want code %s", err, CodeNoResolver)
	}
	t.Logf("refused: %v", err)
	if cur.st.DNS != nil {
		t.Errorf("state still records a DNS change: %+v", cur.st.DNS)
	}
	if st, _ := readState(b.statePath); st != nil && st.DNS != nil {
		t.Errorf("state file records a DNS change: %+v", st.DNS)
	}
	if b, _ := os.ReadFile(rc); string(b) != orig {
		t.Errorf("resolv.conf: %q", b)
	}
	if !strings.Contains(log.String(), "not on the system bus") && !strings.Contains(log.String(), "no system bus") {
		t.Errorf("log does not say the path:\n%s", log.String())
	}
}
