package sysproxy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeDconf is gsettings and dconf over one map of dconf keys (a key
// missing: at its default), as the commands print and take GVariant text.
type fakeDconf struct {
	db    map[string]string
	calls []string
}

var gnomeDefaults = map[string]string{"mode": "'none'", "autoconfig-url": "''"}

func (f *fakeDconf) run(_ context.Context, name string, args ...string) (string, error) {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	switch {
	case name == "dconf" && args[0] == "read":
		v, ok := f.db[strings.TrimPrefix(args[1], gnomeDconfDir)]
		if !ok {
			return "", nil
		}
		return v + "\n", nil
	case name == "gsettings" && args[0] == "get":
		if v, ok := f.db[args[2]]; ok {
			return v + "\n", nil
		}
		return gnomeDefaults[args[2]] + "\n", nil
	case name == "gsettings" && args[0] == "set":
		if _, ok := ParseGVariantString(args[3]); !ok {
			return "", errors.New("gsettings: bad value")
		}
		f.db[args[2]] = args[3]
		return "", nil
	case name == "gsettings" && args[0] == "reset":
		delete(f.db, args[2])
		return "", nil
	}
	return "", errors.New("unexpected " + name)
}

func TestGNOMERestoresExactly(t *testing.T) {
	ctx := context.Background()
	f := &fakeDconf{db: map[string]string{"mode": "'manual'"}}
	g := &GNOME{Run: f.run, Dconf: true}
	s, err := g.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Values["mode"] != "'manual'" || len(s.Absent) != 1 || s.Absent[0] != "autoconfig-url" {
		t.Fatalf("read %+v", s)
	}
	if err := g.SetPAC(ctx, "http://127.0.0.1:1/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	if f.db["mode"] != "'auto'" || f.db["autoconfig-url"] != "'http://127.0.0.1:1/proxy.pac'" {
		t.Fatalf("set: %v", f.db)
	}
	if err := g.Restore(ctx, s); err != nil {
		t.Fatal(err)
	}
	if len(f.db) != 1 || f.db["mode"] != "'manual'" {
		t.Fatalf("restored %v, want mode 'manual' and autoconfig-url reset", f.db)
	}
}

func TestGNOMESetNotApplied(t *testing.T) {
	f := &fakeDconf{db: map[string]string{}}
	run := func(ctx context.Context, name string, args ...string) (string, error) {
		if name == "gsettings" && args[0] == "set" {
			return "", nil // no session bus: the write went nowhere
		}
		return f.run(ctx, name, args...)
	}
	g := &GNOME{Run: run}
	if err := g.SetPAC(context.Background(), "http://127.0.0.1:1/proxy.pac"); err == nil {
		t.Fatal("a write that did not happen was reported as done")
	}
}

func TestGNOMERefusesDamagedSavedValue(t *testing.T) {
	f := &fakeDconf{db: map[string]string{}}
	g := &GNOME{Run: f.run, Dconf: true}
	err := g.Restore(context.Background(), Saved{Desktop: "gnome", Values: map[string]string{"mode": "'a' 'b'"}})
	if err == nil || len(f.db) != 0 {
		t.Fatalf("a damaged value was written: %v %v", err, f.db)
	}
}

var gvariantSeeds = []string{"''", "'auto'", `'it\'s'`, `"double"`, `'\u0001x'`, `'a\\b'`, "'", "'a'b'", `'\u12'`}

func FuzzGVariantString(f *testing.F) {
	for _, s := range gvariantSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, ok := ParseGVariantString(text)
		if !ok {
			return
		}
		// What Relais writes for a string reads back as that string.
		if back, ok := ParseGVariantString(GVariantString(s)); !ok || back != s {
			t.Fatalf("%q -> %q -> %q (%v)", text, s, GVariantString(s), ok)
		}
	})
}

func TestGVariantString(t *testing.T) {
	for in, want := range map[string]string{"auto": "'auto'", "it's": `'it\'s'`, `a\b`: `'a\\b'`, "": "''"} {
		if got := GVariantString(in); got != want {
			t.Errorf("GVariantString(%q) = %s, want %s", in, got, want)
		}
		if back, ok := ParseGVariantString(want); !ok || back != in {
			t.Errorf("ParseGVariantString(%s) = %q %v", want, back, ok)
		}
	}
}
