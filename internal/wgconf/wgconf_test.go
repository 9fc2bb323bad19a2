package wgconf

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/testenv"
)

// fakeKey is an obviously fake key: 32 bytes of b.
func fakeKey(b byte) *wgtypes.Key {
	var k wgtypes.Key
	for i := range k {
		k[i] = b
	}
	return &k
}

func testdata(t *testing.T, elem ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata", "wgconf"}, elem...)...)
}

func TestParseFull(t *testing.T) {
	f, err := ReadFile(testdata(t, "full.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Interface: Interface{
			PrivateKey: fakeKey(1),
			Addresses: []netip.Prefix{netip.MustParsePrefix("10.77.0.2/32"), netip.MustParsePrefix("fd77::2/128"),
				netip.MustParsePrefix("10.77.1.2/32")},
			DNS:        []netip.Addr{netip.MustParseAddr("10.77.0.53")},
			DNSSearch:  []string{"intra", "example.test"},
			MTU:        1380,
			ListenPort: 51821,
			FwMark:     0x51820,
			Table:      "off",
			PreUp:      []string{"logger relais pre-up"},
			PostUp:     []string{"logger relais post-up", `logger "relais post-up 2"`},
			PreDown:    []string{"logger relais pre-down"},
			PostDown:   []string{"logger relais post-down"},
		},
		Peers: []Peer{{
			PublicKey:    *fakeKey(2),
			PresharedKey: fakeKey(3),
			Endpoint:     "vpn.example.test:51820",
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.77.0.0/16"), netip.MustParsePrefix("fd77::/64"),
				netip.MustParsePrefix("192.0.2.1/32")},
			PersistentKeepalive: 25,
		}},
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", f, want)
	}
	roundTrip(t, f)
}

// Section and key names are case-insensitive, whitespace around = is
// optional, and "off" is a keepalive of 0, as in wg(8).
func TestParseMinimal(t *testing.T) {
	f, err := ReadFile(testdata(t, "minimal.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if *f.Interface.PrivateKey != *fakeKey(1) || len(f.Peers) != 1 || f.Peers[0].Endpoint != "[2001:db8::1]:51820" ||
		len(f.Peers[0].AllowedIPs) != 2 || f.Peers[0].PersistentKeepalive != 0 {
		t.Fatalf("%+v", f)
	}
	roundTrip(t, f)
}

// Every bad file fails with its expected FILE:LINE: key: message first.
func TestParseErrors(t *testing.T) {
	files, _ := filepath.Glob(testdata(t, "bad", "*.conf"))
	if len(files) < 15 {
		t.Fatalf("only %d bad files", len(files))
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		want := strings.TrimPrefix(first, "# want: ")
		_, err = Parse("bad/"+filepath.Base(name), b)
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Errorf("%s: got %v, want an ErrorList", name, err)
			continue
		}
		if got := list[0].Error(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		// Each problem carries its code, for a front end to word it
		// (the French `relais key import` printed these in English).
		for _, e := range list {
			if _, ok := Codes[e.Code]; !ok || fmt.Sprintf(Codes[e.Code], e.Args...) != e.Msg {
				t.Errorf("%s: %q has code %q %v", name, e.Msg, e.Code, e.Args)
			}
		}
	}
}

// A bad key's error never repeats the value: it could be a real private key
// with one character wrong.
func TestErrorsDoNotRepeatKeys(t *testing.T) {
	secret := strings.Repeat("A", 42) + "=" // 43 characters: almost a key
	_, err := Parse("x.conf", []byte("[Interface]\nPrivateKey = "+secret+"\n[Peer]\nPublicKey = "+secret+"\nPresharedKey = "+secret+"\n"))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("%v", err)
	}
	if n := len(err.(ErrorList)); n != 3 {
		t.Fatalf("%d errors, want 3: %v", n, err)
	}
}

func TestSizeLimit(t *testing.T) {
	big := append([]byte("[Interface]\n"), bytes.Repeat([]byte("# padding\n"), MaxSize/10+1)...)
	if _, err := Parse("big.conf", big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%v", err)
	}
	name := filepath.Join(t.TempDir(), "big.conf")
	os.WriteFile(name, big, 0o600)
	if _, err := ReadFile(name); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile: %v", err)
	}
	// The errors of a hostile file are capped.
	many := "[Interface]\n" + strings.Repeat("Nope = 1\n", 1000)
	_, err := Parse("many.conf", []byte(many))
	if l, ok := err.(ErrorList); !ok || len(l) != MaxErrors {
		t.Fatalf("%d errors", len(l))
	}
}

func TestMarshalPrivateKeyNote(t *testing.T) {
	f := &File{Interface: Interface{PrivateKeyNote: "PrivateKey = …\nthe key is in the OS keyring",
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}}}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "# PrivateKey = …\n# the key is in the OS keyring\n") || strings.Contains(string(b), "\nPrivateKey") {
		t.Fatalf("%s", b)
	}
	g, err := Parse("x.conf", b)
	if err != nil || g.Interface.PrivateKey != nil {
		t.Fatalf("%v %+v", err, g)
	}
}

// Marshal refuses what it could not write so that it reads back the same.
func TestMarshalRefuses(t *testing.T) {
	for name, f := range map[string]File{
		"hook with newline":  {Interface: Interface{PostUp: []string{"a\nPrivateKey = x"}}},
		"hook with comment":  {Interface: Interface{PreUp: []string{"echo # x"}}},
		"empty hook":         {Interface: Interface{PreDown: []string{""}}},
		"bad endpoint":       {Peers: []Peer{{Endpoint: "nope"}}},
		"invalid prefix":     {Interface: Interface{Addresses: []netip.Prefix{{}}}},
		"bad search domain":  {Interface: Interface{DNSSearch: []string{"a b"}}},
		"mtu out of range":   {Interface: Interface{MTU: 100}},
		"table with a space": {Interface: Interface{Table: "main 2"}},
	} {
		if _, err := f.Marshal(); err == nil {
			t.Errorf("%s: Marshal accepted it", name)
		}
	}
}

// roundTrip checks that Marshal writes what Parse reads back as f.
func roundTrip(t testing.TB, f *File) []byte {
	t.Helper()
	b, err := f.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	g, err := Parse("marshalled.conf", b)
	if err != nil {
		t.Fatalf("Parse(Marshal(f)): %v\n%s", err, b)
	}
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("round trip changed the file:\n%+v\n%+v\n%s", f, g, b)
	}
	return b
}

// What Marshal writes is accepted by wireguard-tools' own wg-quick: `strip`
// parses the file as `up` does, keeps the wg(8) part, and fails on what it
// cannot read (the file name, SaveConfig); what it keeps is exactly the wg
// keys, which parse back to the same peers and key.
func TestMarshalAcceptedByWgQuick(t *testing.T) {
	testenv.NeedTools(t, "wg-quick", "wg")
	testenv.NeedRoot(t) // wg-quick re-executes itself through sudo otherwise
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer, _ := wgtypes.GeneratePrivateKey()
	psk, _ := wgtypes.GenerateKey()
	f, err := ReadFile(testdata(t, "full.conf"))
	if err != nil {
		t.Fatal(err)
	}
	f.Interface.PrivateKey = &priv
	f.Interface.SaveConfig = true
	f.Peers[0].PublicKey = peer.PublicKey()
	f.Peers[0].PresharedKey = &psk
	f.Peers = append(f.Peers, Peer{PublicKey: priv.PublicKey(), Endpoint: "192.0.2.7:51820",
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}})
	b := roundTrip(t, f)

	dir := t.TempDir()
	name := filepath.Join(dir, "relais0.conf")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("wg-quick", "strip", name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("wg-quick strip: %v\n%s\n%s", err, stderr.String(), b)
	}
	for _, l := range strings.Split(string(out), "\n") {
		k, _, _ := strings.Cut(l, "=")
		switch strings.TrimSpace(k) {
		case "Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig":
			t.Errorf("wg-quick strip left a wg-quick key: %q", l)
		}
	}
	// The stripped half is what wg(8) reads; it keeps every peer and the key.
	stripped, err := Parse("stripped.conf", out)
	if err != nil {
		t.Fatalf("stripped output: %v\n%s", err, out)
	}
	want := File{Interface: Interface{PrivateKey: &priv, ListenPort: f.Interface.ListenPort, FwMark: f.Interface.FwMark}, Peers: f.Peers}
	if !reflect.DeepEqual(*stripped, want) {
		t.Fatalf("stripped:\n%+v\nwant\n%+v", stripped, want)
	}

	// The same check fails on a file wg-quick cannot read, so the test
	// would catch a Marshal that wrote a bad value.
	os.WriteFile(name, []byte("[Interface]\nSaveConfig = maybe\n"), 0o600)
	if err := exec.Command("wg-quick", "strip", name).Run(); err == nil {
		t.Fatal("wg-quick strip accepted SaveConfig = maybe: the check proves nothing")
	}
}

func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"*.conf", "bad/*.conf"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "wgconf", pattern))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("[Interface]\nDNS = 1.1.1.1, fe80::1%eth0, corp.\n[Peer]\nPublicKey=AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\nEndpoint=[::1]:1\r\n"))
	f.Add([]byte("\ufeff[Interface]\r\nPrivateKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\r\n"))
	f.Add([]byte("[Interface]\nFwMark = off\nTable = 1234\nListenPort = 0\nPostUp = a = b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.conf", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("an error of another kind: %T %v", err, err)
			}
			return
		}
		roundTrip(t, file)
	})
}
