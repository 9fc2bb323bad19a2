package sysproxy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// fakeRegistry is one registry key in memory; log records every change
// and every notification, in order.
type fakeRegistry struct {
	values map[string][2]string // name: type, data
	log    *[]string
	fail   error // returned by Set and Delete when set
}

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{values: map[string][2]string{}, log: new([]string)}
}

func (f *fakeRegistry) Get(name string) (string, string, bool, error) {
	v, ok := f.values[name]
	if ok && v[0] != RegSZ && v[0] != RegExpandSZ {
		return "", "", false, fmt.Errorf("type %s: %w", v[0], errNotString)
	}
	return v[1], v[0], ok, nil
}

func (f *fakeRegistry) Set(name, typ, data string) error {
	if f.fail != nil {
		return f.fail
	}
	*f.log = append(*f.log, "set "+name+" "+typ+" "+data)
	f.values[name] = [2]string{typ, data}
	return nil
}

func (f *fakeRegistry) Delete(name string) error {
	if f.fail != nil {
		return f.fail
	}
	*f.log = append(*f.log, "delete "+name)
	delete(f.values, name)
	return nil
}

func (f *fakeRegistry) desktop() *Windows {
	return newWindows(f, func() { *f.log = append(*f.log, "notify") })
}

const testPAC = "http://127.0.0.1:48123/proxy.pac"

// Read, SetPAC, Restore give back exactly what was there: no value, an
// empty REG_SZ (not the same as none), a REG_SZ, a REG_EXPAND_SZ; each
// change is written before running programs are told.
func TestWindowsRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		prior *[2]string // nil: no AutoConfigURL
		saved Saved
	}{
		{"absent", nil, Saved{Desktop: "windows", Absent: []string{AutoConfigURL}}},
		{"empty", &[2]string{RegSZ, ""}, Saved{Desktop: "windows", Values: map[string]string{AutoConfigURL: "REG_SZ:"}}},
		{"sz", &[2]string{RegSZ, "http://wpad.example/wpad.dat"}, Saved{Desktop: "windows", Values: map[string]string{AutoConfigURL: "REG_SZ:http://wpad.example/wpad.dat"}}},
		{"expand_sz", &[2]string{RegExpandSZ, "file://%USERPROFILE%/p:a.pac"}, Saved{Desktop: "windows", Values: map[string]string{AutoConfigURL: "REG_EXPAND_SZ:file://%USERPROFILE%/p:a.pac"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeRegistry()
			f.values["ProxyEnable"] = [2]string{"REG_DWORD", "1"} // never touched
			if tc.prior != nil {
				f.values[AutoConfigURL] = *tc.prior
			}
			w := f.desktop()
			if w.Name() != "windows" {
				t.Fatalf("Name() = %q", w.Name())
			}
			saved, err := w.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(saved) != fmt.Sprint(tc.saved) {
				t.Fatalf("Read = %+v, want %+v", saved, tc.saved)
			}
			if len(*f.log) != 0 {
				t.Fatalf("Read changed something: %q", *f.log)
			}
			if err := w.SetPAC(ctx, testPAC); err != nil {
				t.Fatal(err)
			}
			if got := f.values[AutoConfigURL]; got != [2]string{RegSZ, testPAC} {
				t.Fatalf("after SetPAC AutoConfigURL = %q", got)
			}
			if err := w.Restore(ctx, saved); err != nil {
				t.Fatal(err)
			}
			got, ok := f.values[AutoConfigURL]
			switch {
			case tc.prior == nil && ok:
				t.Errorf("restored %q, want no value", got)
			case tc.prior != nil && (!ok || got != *tc.prior):
				t.Errorf("restored %q (present %v), want %q", got, ok, *tc.prior)
			}
			if f.values["ProxyEnable"] != [2]string{"REG_DWORD", "1"} || len(f.values) != 1+btoi(tc.prior != nil) {
				t.Errorf("other values changed: %v", f.values)
			}
			restore := "delete " + AutoConfigURL
			if tc.prior != nil {
				restore = "set " + AutoConfigURL + " " + tc.prior[0] + " " + tc.prior[1]
			}
			want := []string{"set " + AutoConfigURL + " REG_SZ " + testPAC, "notify", restore, "notify"}
			if !slices.Equal(*f.log, want) {
				t.Errorf("operations %q, want %q", *f.log, want)
			}
		})
	}
}

// A non-string AutoConfigURL cannot be restored exactly: Read fails, and
// the manager then changes nothing.
func TestWindowsReadRefusesNonString(t *testing.T) {
	f := newFakeRegistry()
	f.values[AutoConfigURL] = [2]string{"REG_DWORD", "1"}
	if _, err := f.desktop().Read(context.Background()); !errors.Is(err, errNotString) {
		t.Errorf("Read of a REG_DWORD AutoConfigURL: %v, want errNotString", err)
	}
}

// Restore refuses what it cannot put back exactly, changing nothing.
func TestWindowsRestoreRefusesBadSaved(t *testing.T) {
	for name, s := range map[string]Saved{
		"other desktop": {Desktop: "gnome", Absent: []string{AutoConfigURL}},
		"neither":       {Desktop: "windows"},
		"both":          {Desktop: "windows", Values: map[string]string{AutoConfigURL: "REG_SZ:x"}, Absent: []string{AutoConfigURL}},
		"no type":       {Desktop: "windows", Values: map[string]string{AutoConfigURL: "http"}},
		"bad type":      {Desktop: "windows", Values: map[string]string{AutoConfigURL: "REG_DWORD:1"}},
	} {
		f := newFakeRegistry()
		f.values[AutoConfigURL] = [2]string{RegSZ, testPAC}
		if err := f.desktop().Restore(context.Background(), s); err == nil {
			t.Errorf("%s: Restore(%+v) accepted", name, s)
		}
		if len(*f.log) != 0 || f.values[AutoConfigURL] != [2]string{RegSZ, testPAC} {
			t.Errorf("%s: a refused Restore changed %q", name, *f.log)
		}
	}
}

// A failed write is the caller's error, and nobody is told of a change
// that did not happen; a cancelled context changes nothing; an empty URL
// is refused.
func TestWindowsErrors(t *testing.T) {
	f := newFakeRegistry()
	f.fail = errors.New("access denied")
	w := f.desktop()
	if err := w.SetPAC(context.Background(), testPAC); !errors.Is(err, f.fail) {
		t.Errorf("SetPAC: %v", err)
	}
	if err := w.Restore(context.Background(), Saved{Desktop: "windows", Absent: []string{AutoConfigURL}}); !errors.Is(err, f.fail) {
		t.Errorf("Restore: %v", err)
	}
	if len(*f.log) != 0 {
		t.Errorf("notified after failures: %q", *f.log)
	}

	f = newFakeRegistry()
	w = f.desktop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Read(ctx); err == nil {
		t.Error("Read with a cancelled context")
	}
	if err := w.SetPAC(ctx, testPAC); err == nil {
		t.Error("SetPAC with a cancelled context")
	}
	if err := w.Restore(ctx, Saved{Desktop: "windows", Absent: []string{AutoConfigURL}}); err == nil {
		t.Error("Restore with a cancelled context")
	}
	if err := w.SetPAC(context.Background(), ""); err == nil {
		t.Error("SetPAC with an empty URL")
	}
	if len(*f.log) != 0 {
		t.Errorf("changed: %q", *f.log)
	}
}

func FuzzParseRegValue(f *testing.F) {
	for _, s := range []string{"REG_SZ:", "REG_SZ:http://127.0.0.1:1/proxy.pac", "REG_EXPAND_SZ:%TEMP%\\a:b", "REG_DWORD:1", "", ":", "REG_SZ", "reg_sz:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, data, err := ParseRegValue(s)
		if err != nil {
			return
		}
		if typ != RegSZ && typ != RegExpandSZ {
			t.Fatalf("ParseRegValue(%q) type %q", s, typ)
		}
		if back := FormatRegValue(typ, data); back != s {
			t.Fatalf("FormatRegValue(ParseRegValue(%q)) = %q", s, back)
		}
	})
}
