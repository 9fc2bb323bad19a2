package helper

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestParseStatusGroups(t *testing.T) {
	status := "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 27 999 \nNgid:\t0\n"
	got, err := parseStatusGroups([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[3] != 999 {
		t.Errorf("groups = %v", got)
	}
	if got, err := parseStatusGroups([]byte("Groups:\t\n")); err != nil || len(got) != 0 {
		t.Errorf("no groups: %v, %v", got, err)
	}
	if _, err := parseStatusGroups([]byte("Name:\tx\n")); err == nil {
		t.Error("no Groups line accepted")
	}
}

// resolv.conf is restored exactly; a file changed by someone else since
// is left alone; a file the helper wrote is never taken as the backup.
func TestResolvConfRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	orig := []byte("nameserver 192.0.2.53\nsearch home.example\n")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	servers := []netip.Addr{netip.MustParseAddr("10.99.0.1")}
	ds, err := prepareResolvConf(path, servers, []string{"office.test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeResolvConf(ds); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != resolvConfMarker+"nameserver 10.99.0.1\nsearch office.test\n" {
		t.Errorf("written: %q", b)
	}
	if _, err := prepareResolvConf(path, servers, nil); err == nil {
		t.Error("took the helper's own file as a backup")
	}
	if err := restoreResolvConf(ds); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(orig) {
		t.Errorf("restored: %q", b)
	}

	// Symlinks come back as symlinks.
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink("resolv.conf", link); err != nil {
		t.Fatal(err)
	}
	ds, err = prepareResolvConf(link, servers, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeResolvConf(ds); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(orig) {
		t.Error("writing through the symlink changed its target")
	}
	if err := restoreResolvConf(ds); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(link); err != nil || target != "resolv.conf" {
		t.Errorf("symlink not restored: %q, %v", target, err)
	}

	// Changed by someone else since: kept.
	ds, _ = prepareResolvConf(path, servers, nil)
	_ = writeResolvConf(ds)
	_ = os.WriteFile(path, []byte("nameserver 198.51.100.1\n"), 0o644)
	if err := restoreResolvConf(ds); err == nil {
		t.Error("overwrote a file someone else changed")
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "state.json")
	if st, err := readState(path); st != nil || err != nil {
		t.Fatalf("no state: %v, %v", st, err)
	}
	want := &state{Interface: "relais0", Routes: []string{"10.99.0.0/24"}, DNS: &dnsState{Mode: "resolv.conf", Path: "/etc/resolv.conf", Backup: []byte("x")}}
	if err := writeState(path, want); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state mode %v", fi.Mode())
	}
	got, err := readState(path)
	if err != nil || got.Interface != "relais0" || string(got.DNS.Backup) != "x" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if err := removeState(path); err != nil {
		t.Fatal(err)
	}
}
