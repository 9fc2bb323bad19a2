package sysproxy

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// fakeDesktop is a desktop setting in memory that records what was done
// to it, in one log shared with the fake store.
type fakeDesktop struct {
	name    string
	values  map[string]string // the current setting; a missing key is at its default
	log     *[]string
	readErr error
	setErr  error
}

func (f *fakeDesktop) Name() string { return f.name }

func (f *fakeDesktop) Read(context.Context) (Saved, error) {
	*f.log = append(*f.log, f.name+".read")
	if f.readErr != nil {
		return Saved{}, f.readErr
	}
	s := Saved{Desktop: f.name, Values: map[string]string{}}
	for _, k := range []string{"mode", "url"} {
		if v, ok := f.values[k]; ok {
			s.Values[k] = v
		} else {
			s.Absent = append(s.Absent, k)
		}
	}
	return s, nil
}

func (f *fakeDesktop) SetPAC(_ context.Context, url string) error {
	*f.log = append(*f.log, f.name+".set")
	if f.setErr != nil {
		return f.setErr
	}
	f.values["mode"], f.values["url"] = "auto", url
	return nil
}

func (f *fakeDesktop) Restore(_ context.Context, s Saved) error {
	*f.log = append(*f.log, f.name+".restore")
	for k, v := range s.Values {
		f.values[k] = v
	}
	for _, k := range s.Absent {
		delete(f.values, k)
	}
	return nil
}

// fakeStore is the store as it would be after a crash: its content
// outlives the Manager.
type fakeStore struct {
	saved   []Saved
	log     *[]string
	saveErr error
}

func (s *fakeStore) SaveSystemProxy(_ context.Context, v []Saved) error {
	*s.log = append(*s.log, "store.save")
	if s.saveErr != nil {
		return s.saveErr
	}
	s.saved = slices.Clone(v)
	return nil
}

func (s *fakeStore) SavedSystemProxy(context.Context) ([]Saved, error) {
	return slices.Clone(s.saved), nil
}

func (s *fakeStore) ClearSystemProxy(context.Context) error {
	*s.log = append(*s.log, "store.clear")
	s.saved = nil
	return nil
}

func setup() (*Manager, *fakeDesktop, *fakeDesktop, *fakeStore, *[]string) {
	log := &[]string{}
	g := &fakeDesktop{name: "gnome", values: map[string]string{"mode": "'manual'"}, log: log}
	k := &fakeDesktop{name: "kde", values: map[string]string{}, log: log}
	st := &fakeStore{log: log}
	return &Manager{Store: st, Desktops: []Desktop{g, k}}, g, k, st, log
}

func TestApplySavesBeforeChanging(t *testing.T) {
	ctx := context.Background()
	m, g, k, st, log := setup()
	if err := m.Apply(ctx, "http://127.0.0.1:1/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	want := []string{"gnome.read", "kde.read", "store.save", "gnome.set", "kde.set"}
	if !reflect.DeepEqual(*log, want) {
		t.Fatalf("order %v, want %v (nothing changed before the store has the values)", *log, want)
	}
	if g.values["url"] != "http://127.0.0.1:1/proxy.pac" || k.values["mode"] != "auto" {
		t.Fatalf("not pointed at the PAC: %v %v", g.values, k.values)
	}
	if len(st.saved) != 2 || st.saved[0].Values["mode"] != "'manual'" || !slices.Contains(st.saved[0].Absent, "url") {
		t.Fatalf("saved %+v", st.saved)
	}

	// The tunnel comes up again on another port: the PAC moves, the
	// saved values stay the person's own.
	*log = nil
	if err := m.Apply(ctx, "http://127.0.0.1:2/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"gnome.set", "kde.set"}; !reflect.DeepEqual(*log, want) {
		t.Fatalf("second apply %v, want %v", *log, want)
	}
	if st.saved[0].Values["mode"] != "'manual'" {
		t.Fatalf("the second apply saved Relais' own values: %+v", st.saved)
	}

	if ok, err := m.Restore(ctx); err != nil || !ok {
		t.Fatalf("restore: %v %v", ok, err)
	}
	if !reflect.DeepEqual(g.values, map[string]string{"mode": "'manual'"}) || len(k.values) != 0 {
		t.Fatalf("not restored exactly: %v %v", g.values, k.values)
	}
	if st.saved != nil {
		t.Fatalf("store not cleared: %+v", st.saved)
	}
	if ok, err := m.Restore(ctx); err != nil || ok {
		t.Fatalf("a second restore: %v %v, want nothing to do", ok, err)
	}
}

func TestApplySaveFailsChangesNothing(t *testing.T) {
	m, g, k, st, log := setup()
	st.saveErr = errors.New("disk full")
	if err := m.Apply(context.Background(), "http://127.0.0.1:1/proxy.pac"); err == nil {
		t.Fatal("apply succeeded without saving")
	}
	for _, e := range *log {
		if e == "gnome.set" || e == "kde.set" {
			t.Fatalf("%s although the values were not saved (%v)", e, *log)
		}
	}
	if g.values["mode"] != "'manual'" || len(k.values) != 0 {
		t.Fatalf("changed: %v %v", g.values, k.values)
	}
}

func TestApplySkipsUnreadableDesktop(t *testing.T) {
	m, g, k, st, _ := setup()
	g.readErr = errors.New("no bus")
	if err := m.Apply(context.Background(), "http://127.0.0.1:1/proxy.pac"); err == nil {
		t.Fatal("an unreadable desktop went unreported")
	}
	if g.values["mode"] != "'manual'" {
		t.Fatal("a desktop whose values could not be saved was changed")
	}
	if k.values["mode"] != "auto" || len(st.saved) != 1 || st.saved[0].Desktop != "kde" {
		t.Fatalf("the readable desktop: %v, saved %+v", k.values, st.saved)
	}
}

func TestRecoverAfterCrash(t *testing.T) {
	ctx := context.Background()
	m, _, _, st, _ := setup()
	if err := m.Apply(ctx, "http://127.0.0.1:1/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	// The process is killed: a new one starts with the same store and
	// desktops (their settings as Relais left them).
	m2 := &Manager{Store: st, Desktops: m.Desktops}
	ok, err := m2.Recover(ctx)
	if err != nil || !ok {
		t.Fatalf("recover: %v %v", ok, err)
	}
	g, k := m.Desktops[0].(*fakeDesktop), m.Desktops[1].(*fakeDesktop)
	if !reflect.DeepEqual(g.values, map[string]string{"mode": "'manual'"}) || len(k.values) != 0 {
		t.Fatalf("not recovered: %v %v", g.values, k.values)
	}
	if ok, _ := m2.Recover(ctx); ok {
		t.Fatal("recovered twice")
	}
}

func TestRestoreKeepsWhatItCannotRestore(t *testing.T) {
	ctx := context.Background()
	m, _, _, st, _ := setup()
	if err := m.Apply(ctx, "http://127.0.0.1:1/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	only := &Manager{Store: st, Desktops: m.Desktops[:1]} // KDE not in this session
	if _, err := only.Restore(ctx); err == nil {
		t.Fatal("a desktop left unrestored went unreported")
	}
	if len(st.saved) != 1 || st.saved[0].Desktop != "kde" {
		t.Fatalf("kept %+v, want kde's values only", st.saved)
	}
}

// Two Mode urgence of one person at once (the app's and `relais demo`,
// each with its own store): the second finds the setting pointed at the
// first one's PAC. It must not save that PAC as the person's own value —
// its restore would then leave the person on a dead PAC — and leaves the
// setting to the first, whose restore gives the person's values back.
func TestApplyLeavesAnotherRelaisPAC(t *testing.T) {
	ctx := context.Background()
	first, g, k, _, _ := setup()
	second := &Manager{Store: &fakeStore{log: &[]string{}}, Desktops: first.Desktops}
	if err := first.Apply(ctx, "http://127.0.0.1:1/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	if err := second.Apply(ctx, "http://127.0.0.1:2/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	if g.values["url"] != "http://127.0.0.1:1/proxy.pac" {
		t.Fatalf("the second Mode urgence took the setting over: %v", g.values)
	}
	if saved, _ := second.Store.SavedSystemProxy(ctx); len(saved) != 0 {
		t.Fatalf("the second saved another Relais' PAC as the person's values: %+v", saved)
	}
	for _, m := range []*Manager{first, second} {
		if _, err := m.Restore(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(g.values, map[string]string{"mode": "'manual'"}) || len(k.values) != 0 {
		t.Fatalf("the person's values are not back: %v %v", g.values, k.values)
	}
}

func TestIsRelaisPAC(t *testing.T) {
	for v, want := range map[string]bool{
		"http://127.0.0.1:41234/proxy.pac":          true,
		"'http://127.0.0.1:41234/proxy.pac'":        true,
		"http://[::1]:8080/proxy.pac":               true,
		"REG_SZ:http://127.0.0.1:5/proxy.pac":       true,
		"http://localhost:8080/proxy.pac":           true,
		"http://proxy.example.org/proxy.pac":        false,
		"http://127.0.0.1:41234/wpad.dat":           false,
		"'manual'":                                  false,
		"":                                          false,
		"http://127.0.0.1:41234/proxy.pac.evil.org": false,
	} {
		if got := isRelaisPAC(v); got != want {
			t.Errorf("isRelaisPAC(%q) = %v, want %v", v, got, want)
		}
	}
}
