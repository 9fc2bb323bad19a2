package sysproxy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const pacURL = "http://127.0.0.1:8123/proxy.pac"

var kioslavercSeeds = []string{
	"",
	"[Proxy Settings]\nProxyType=1\nhttpProxy=http://proxy.example:3128\n",
	"[$i]\n[Proxy Settings]\nProxyType = 0\n\n[Cache]\nMaxCacheSize=5120\n",
	"[Cache]\r\nMaxCacheSize=5120\r\n[Proxy Settings]\r\nProxy Config Script=http://wpad/wpad.dat\r\nProxyType=2\r\n",
	"# comment\n[Proxy Settings]\nProxyType=1",
	"[Cache]\nMaxCacheSize=5120",
	"[Proxy Settings]\nProxyType=1\n[Proxy Settings]\nProxyType=4\n\n\n",
	"[Proxy Settings]\n\n\n",
	"ProxyType=1\n[Other]\nProxyType=3\n",
}

// What Relais writes and then restores gives back the file byte for byte.
func roundTrip(t *testing.T, data []byte) {
	s := ReadKioslaverc(data, true)
	set := SetKioslaverc(data, map[string]string{KDEProxyType: kdePACType, KDEPACURL: pacURL})
	after := ReadKioslaverc(set, true)
	if after.Values[KDEProxyType] != kdePACType || after.Values[KDEPACURL] != pacURL {
		t.Fatalf("after SetPAC %q reads %+v", set, after)
	}
	if got := RestoreKioslaverc(set, s); string(got) != string(data) {
		t.Fatalf("restore of %q\n  set  %q\n  gave %q", data, set, got)
	}
}

func TestKioslavercRoundTrip(t *testing.T) {
	for _, s := range kioslavercSeeds {
		roundTrip(t, []byte(s))
	}
}

func FuzzKioslaverc(f *testing.F) {
	for _, s := range kioslavercSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data) })
}

func TestKioslavercKeepsOtherLines(t *testing.T) {
	in := "[General]\nfoo=bar\n[Proxy Settings]\n  ProxyType =1\nNoProxyFor=.corp\nhttpProxy=http://p:3128\n\n[Cache]\nx=y\n"
	got := string(SetKioslaverc([]byte(in), map[string]string{KDEProxyType: "2", KDEPACURL: pacURL}))
	want := "[General]\nfoo=bar\n[Proxy Settings]\n  ProxyType =2\nNoProxyFor=.corp\nhttpProxy=http://p:3128\nProxy Config Script=" + pacURL + "\n\n[Cache]\nx=y\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	s := ReadKioslaverc([]byte(in), true)
	if s.Values[KDEProxyType] != "1" || !slices.Contains(s.Absent, KDEPACURL) || slices.Contains(s.Absent, kdeNoGroup) {
		t.Fatalf("read %+v", s)
	}
}

func TestKDEFile(t *testing.T) {
	ctx := context.Background()
	notified := 0
	run := func(_ context.Context, name string, args ...string) (string, error) {
		if name == "dbus-send" && slices.Contains(args, "org.kde.KIO.Scheduler.reparseSlaveConfiguration") {
			notified++
		}
		return "", nil
	}
	path := filepath.Join(t.TempDir(), "config", "kioslaverc")
	k := &KDE{Path: path, Run: run}
	s, err := k.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(s.Absent, kdeNoFile) {
		t.Fatalf("a missing file read as %+v", s)
	}
	if err := k.SetPAC(ctx, pacURL); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "ProxyType=2\n") || !strings.Contains(string(b), "Proxy Config Script="+pacURL) {
		t.Fatalf("file %q (%v)", b, err)
	}
	if err := k.Restore(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file Relais created is still there: %v", err)
	}
	if notified != 2 {
		t.Fatalf("KIO told %d times, want 2", notified)
	}

	// A file the person has keeps its mode and other lines.
	orig := "[Proxy Settings]\nProxyType=1\nhttpProxy=http://p:3128\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ = k.Read(ctx)
	if err := k.SetPAC(ctx, pacURL); err != nil {
		t.Fatal(err)
	}
	if err := k.Restore(ctx, s); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != orig || fi.Mode().Perm() != 0o644 {
		t.Fatalf("restored %q mode %v", b, fi.Mode())
	}
}
