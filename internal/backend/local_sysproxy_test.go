package backend

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/store"
	"relais/internal/sysproxy"
	"relais/internal/tunnel"
)

// memDesktop is a person's proxy setting in memory (the real ones are
// tested against GSettings and kioslaverc in internal/sysproxy and in the
// cli's end-to-end test).
type memDesktop struct {
	mu     sync.Mutex
	values map[string]string
	reads  int
	writes int   // SetPAC and Restore calls
	setErr error // SetPAC fails with it, changing nothing
}

func (d *memDesktop) Name() string { return "gnome" }

func (d *memDesktop) get() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]string{}
	for k, v := range d.values {
		out[k] = v
	}
	return out
}

func (d *memDesktop) Read(context.Context) (sysproxy.Saved, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads++
	s := sysproxy.Saved{Desktop: "gnome", Values: map[string]string{}}
	for _, k := range []string{"mode", "url"} {
		if v, ok := d.values[k]; ok {
			s.Values[k] = v
		} else {
			s.Absent = append(s.Absent, k)
		}
	}
	return s, nil
}

func (d *memDesktop) SetPAC(_ context.Context, url string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.setErr != nil {
		return d.setErr
	}
	d.writes++
	d.values["mode"], d.values["url"] = "auto", url
	return nil
}

func (d *memDesktop) Restore(_ context.Context, s sysproxy.Saved) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	for k, v := range s.Values {
		d.values[k] = v
	}
	for _, k := range s.Absent {
		delete(d.values, k)
	}
	return nil
}

func sysproxyMachine(t *testing.T) (Env, *memDesktop) {
	env, tun := memMachine(t)
	tun.SetStatus(func(st *tunnel.Status) { st.HTTPProxy = "127.0.0.1:3128" })
	d := &memDesktop{values: map[string]string{"mode": "manual"}}
	env.Seams.SystemProxy = func() []sysproxy.Desktop { return []sysproxy.Desktop{d} }
	return env, d
}

// openLocal opens the backend on env, in French, for the test: closed,
// and its 30 s context cancelled, when the test ends.
func openLocal(t *testing.T, env Env) (context.Context, *Local) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	b, err := Open(ctx, Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return ctx, b
}

// calls is how many times the desktop was written (pointed or restored).
func (d *memDesktop) calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes
}

func hasEvent(t *testing.T, db *store.DB, msg string) bool {
	t.Helper()
	evs, err := db.Events(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == eventSystemProxy && strings.HasPrefix(e.Message, msg) {
			return true
		}
	}
	return false
}

// With the setting on, Mode urgence points the setting at the tunnel's
// PAC once the tunnel is up, and Stop puts the person's values back.
func TestLocalSystemProxyOnOff(t *testing.T) {
	t.Parallel()
	env, d := sysproxyMachine(t)
	ctx, b := openLocal(t, env)

	// Off (the default): nothing read, nothing changed.
	if b.Settings().SystemProxy || b.Locks().SystemProxy {
		t.Fatalf("default settings %+v locks %+v", b.Settings(), b.Locks())
	}
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	if d.reads != 0 || d.get()["mode"] != "manual" {
		t.Fatalf("setting off, yet the desktop was read %d times: %v", d.reads, d.get())
	}

	s := b.Settings()
	s.SystemProxy = true
	if err := b.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	for d.get()["url"] == "" && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if got := d.get(); got["mode"] != "auto" || got["url"] != "http://127.0.0.1:3128/proxy.pac" {
		t.Fatalf("during Mode urgence: %v", got)
	}
	if saved, err := b.em.DB.SavedSystemProxy(ctx); err != nil || len(saved) != 1 || saved[0].Values["mode"] != "manual" {
		t.Fatalf("saved %+v %v", saved, err)
	}
	if !hasEvent(t, b.em.DB, msgSystemProxyPointed+"http://127.0.0.1:3128/proxy.pac") {
		t.Error("the timeline does not say the proxy was pointed at the PAC")
	}
	b.Stop()
	if got := d.get(); len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("after Stop: %v, want the person's own values exactly", got)
	}
	if saved, _ := b.em.DB.SavedSystemProxy(ctx); saved != nil {
		t.Fatalf("still saved after Stop: %+v", saved)
	}
	if !hasEvent(t, b.em.DB, msgSystemProxyBack) {
		t.Error("the timeline does not say the proxy was restored")
	}
	st, err := b.m.Status(ctx)
	if err != nil || st.SystemProxy != (SystemProxyStatus{On: true, State: SystemProxyRestored}) {
		t.Fatalf("status %+v %v", st.SystemProxy, err)
	}
}

// A Mode urgence that was killed left the setting pointed at its PAC:
// the next start of the backend puts the person's values back.
func TestLocalSystemProxyRecoveredAtOpen(t *testing.T) {
	t.Parallel()
	env, d := sysproxyMachine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := OpenMachine(env, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.systemProxy().Apply(ctx, "http://127.0.0.1:9/proxy.pac"); err != nil {
		t.Fatal(err)
	}
	st, _ := m.Status(ctx)
	if st.SystemProxy.State != SystemProxyPointed {
		t.Fatalf("status after a crash: %+v", st.SystemProxy)
	}
	m.Close() // killed: nothing restored

	b, err := Open(ctx, Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := d.get(); len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("after the next start: %v", got)
	}
	if !hasEvent(t, b.m.DB, msgSystemProxyRecover) {
		t.Error("the timeline does not say the proxy was recovered")
	}
}

// The organisation's lock wins over the person's setting and refuses a
// change.
func TestLocalSystemProxyLocked(t *testing.T) {
	t.Parallel()
	env, _ := sysproxyMachine(t)
	conf := env.Getenv("RELAIS_CONFIG")
	b0, _ := os.ReadFile(conf)
	if err := os.WriteFile(conf, append(b0, []byte("[locked]\nsystem_proxy = true\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Settings().SystemProxy || !b.Locks().SystemProxy {
		t.Fatalf("locked on: settings %+v locks %+v", b.Settings(), b.Locks())
	}
	s := b.Settings()
	s.SystemProxy = false
	if err := b.SaveSettings(s); err == nil {
		t.Fatal("a locked setting was changed")
	}
	if on, locked := b.m.SystemProxyOn(context.Background()); !on || !locked {
		t.Fatalf("SystemProxyOn = %v %v", on, locked)
	}
}
