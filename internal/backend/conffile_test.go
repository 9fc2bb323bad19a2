package backend

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// A .conf export holds the keys only when asked, a note where the private
// key would be otherwise, and the header first; it reads back as it was.
func TestConfExport(t *testing.T) {
	t.Parallel()
	cfg := tunnel.Config{
		PrivateKey: tunnel.Key{1}, Addresses: []netip.Prefix{netip.MustParsePrefix("10.20.0.7/32")},
		DNS: []netip.Addr{netip.MustParseAddr("10.20.0.1")}, DNSDomains: []string{"corp.example"}, MTU: 1380,
		Peer: tunnel.Peer{PublicKey: tunnel.Key{2}, PresharedKey: tunnel.Key{3}, Endpoint: "vpn.example.org:51820",
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}, PersistentKeepalive: 25 * time.Second},
	}
	for _, withKey := range []bool{false, true} {
		data, err := ConfOf(cfg, withKey).Bytes("the header", "the note\nsecond line")
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !strings.HasPrefix(text, "# the header\n") {
			t.Fatalf("header:\n%s", text)
		}
		if hasNote := strings.Contains(text, "# the note\n# second line\n"); hasNote == withKey {
			t.Fatalf("with key %v, note %v:\n%s", withKey, hasNote, text)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "relais.conf")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := SaveConf(path, data); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Fatalf("saved: %v %v", err, fi.Mode())
		}
		f, err := wgconf.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if (f.Interface.PrivateKey != nil) != withKey || (f.Peers[0].PresharedKey != nil) != withKey {
			t.Fatalf("with key %v: %+v", withKey, f)
		}
		if f.Interface.MTU != 1380 || f.Peers[0].Endpoint != cfg.Peer.Endpoint || f.Peers[0].PersistentKeepalive != 25 || len(f.Interface.Addresses) != 1 {
			t.Fatalf("read back: %+v", f)
		}
		var fe *frontend.Error
		if err := SaveConf(filepath.Join(dir, "missing", "relais.conf"), data); !errors.As(err, &fe) || fe.Key != "cli.key.export.write" {
			t.Fatalf("no such directory: %v", err)
		}
	}
	// No preshared key: none written, even with the keys.
	cfg.Peer.PresharedKey = tunnel.Key{}
	if c := ConfOf(cfg, true); c.File.Peers[0].PresharedKey != nil {
		t.Fatalf("zero preshared key written")
	}
}
