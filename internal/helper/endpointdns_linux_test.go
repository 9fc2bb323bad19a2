package helper

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
)

// The servers of the resolv.conf the helper replaced, a plain file or
// the file a symlink pointed at.
func TestPreviousServers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nm-resolv.conf"), []byte("nameserver 192.0.2.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ds := range []*dnsState{
		{Mode: "resolv.conf", Path: filepath.Join(dir, "resolv.conf"), Backup: []byte("nameserver 192.0.2.53\n")},
		{Mode: "resolv.conf", Path: filepath.Join(dir, "resolv.conf"), Symlink: "nm-resolv.conf"},
		{Mode: "resolv.conf", Path: "/elsewhere/resolv.conf", Symlink: filepath.Join(dir, "nm-resolv.conf")},
	} {
		if got := previousServers(ds); len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.53") {
			t.Errorf("%+v: %v", ds, got)
		}
	}
	if got := previousServers(&dnsState{Mode: "resolv.conf", Absent: true}); got != nil {
		t.Errorf("absent: %v", got)
	}
}

// hostResolver is systemd-resolved answering ResolveHostname.
type hostResolver struct{}

func (hostResolver) ResolveHostname(ifindex int32, name string, family int32, flags uint64) ([]resolvedAddress, string, uint64, *dbus.Error) {
	if ifindex != 7 || family != syscall.AF_UNSPEC || flags != 0 {
		return nil, "", 0, dbus.NewError("org.freedesktop.resolve1.NoNameServers", []any{"wrong link"})
	}
	if name != "gw.example.org" {
		return nil, "", 0, dbus.NewError("org.freedesktop.resolve1.DnsError.NXDOMAIN", []any{"no such name"})
	}
	return []resolvedAddress{{Ifindex: 7, Family: syscall.AF_INET, Address: []byte{192, 0, 2, 9}},
		{Ifindex: 7, Family: syscall.AF_INET6, Address: netip.MustParseAddr("2001:db8::9").AsSlice()}}, name, 0, nil
}

// The gateway's name is asked of resolved on the link that reaches the
// gateway, not through resolved's routing (which may send every name to
// the tunnel).
func TestResolvedResolve(t *testing.T) {
	conn := connectFake(t, hostResolver{})
	ctx := context.Background()
	got, err := resolvedResolve(ctx, conn, 7, "gw.example.org")
	want := []netip.Addr{netip.MustParseAddr("192.0.2.9"), netip.MustParseAddr("2001:db8::9")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v %v, want %v", got, err, want)
	}
	if _, err := resolvedResolve(ctx, conn, 7, "absent.example.org"); err == nil {
		t.Error("no error for a name resolved does not know")
	}
}
