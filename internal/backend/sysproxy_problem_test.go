package backend

import (
	"context"
	"errors"
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/store"
	"relais/internal/sysproxy"
)

// waitProblem waits until the running Mode urgence of b reports want as
// its system proxy problem.
func waitProblem(ctx context.Context, t *testing.T, b *Local, want string) {
	t.Helper()
	for b.SystemProxyProblem() != want {
		if ctx.Err() != nil {
			t.Fatalf("system proxy problem %q, want %q", b.SystemProxyProblem(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// storedProblem is the problem code the store keeps ("" when none).
func storedProblem(t *testing.T, db *store.DB) string {
	t.Helper()
	v, err := db.Setting(context.Background(), SettingSystemProxyProblem)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return v
}

// startSystemProxyOn opens a backend on env with the system proxy
// setting on and starts Mode urgence in a userspace tunnel.
func startSystemProxyOn(ctx context.Context, t *testing.T, env Env) *Local {
	t.Helper()
	b, err := Open(ctx, Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	s := b.Settings()
	s.SystemProxy = true
	if err := b.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	return b
}

// When the desktop refuses the PAC, the running Mode urgence says so: the
// status is "failed" with the code set_failed (not "restored", nor
// "pointed": the person's programs do not follow Relais), the store keeps
// the code only, the timeline the raw error. A later success clears it,
// and so does the end of Mode urgence.
func TestLocalSystemProxySetFailed(t *testing.T) {
	t.Parallel()
	env, d := sysproxyMachine(t)
	d.setErr = errors.New("gsettings: dconf refused the write")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := startSystemProxyOn(ctx, t, env)
	waitProblem(ctx, t, b, SystemProxySetFailed)

	st, err := b.m.Status(ctx)
	want := SystemProxyStatus{On: true, State: SystemProxyFailed, Problem: SystemProxySetFailed}
	if err != nil || st.SystemProxy != want {
		t.Fatalf("status %+v %v, want %+v", st.SystemProxy, err, want)
	}
	if got := storedProblem(t, b.em.DB); got != SystemProxySetFailed {
		t.Fatalf("stored problem %q", got)
	}
	if !hasEvent(t, b.em.DB, msgSystemProxyFailed+"sysproxy: gnome: set: gsettings: dconf refused the write") {
		t.Error("the timeline lost the raw error")
	}

	// The desktop accepts it now: turning the setting off then on again
	// points it, and the problem is gone.
	d.mu.Lock()
	d.setErr = nil
	d.mu.Unlock()
	s := b.Settings()
	s.SystemProxy = false
	if err := b.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	s.SystemProxy = true
	if err := b.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if p := b.SystemProxyProblem(); p != "" {
		t.Fatalf("problem %q after a success", p)
	}
	if st, _ := b.m.Status(ctx); st.SystemProxy.State != SystemProxyPointed || st.SystemProxy.Problem != "" {
		t.Fatalf("status after a success %+v", st.SystemProxy)
	}

	// Failing again, then Stop: nothing left of the problem.
	d.mu.Lock()
	d.setErr = errors.New("refused again")
	d.mu.Unlock()
	s.SystemProxy = false
	_ = b.SaveSettings(s)
	s.SystemProxy = true
	_ = b.SaveSettings(s)
	waitProblem(ctx, t, b, SystemProxySetFailed)
	b.Stop()
	if p := b.SystemProxyProblem(); p != "" {
		t.Fatalf("problem %q once Mode urgence stopped", p)
	}
	if got := storedProblem(t, b.em.DB); got != "" {
		t.Fatalf("stored problem %q after Stop", got)
	}
	if st, _ := b.m.Status(ctx); st.SystemProxy != (SystemProxyStatus{On: true, State: SystemProxyRestored}) {
		t.Fatalf("status after Stop %+v", st.SystemProxy)
	}
}

// No desktop proxy setting in the session: failed, no_desktop.
func TestLocalSystemProxyNoDesktop(t *testing.T) {
	t.Parallel()
	env, _ := sysproxyMachine(t)
	env.Seams.SystemProxy = func() []sysproxy.Desktop { return nil }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := startSystemProxyOn(ctx, t, env)
	waitProblem(ctx, t, b, SystemProxyNoDesktop)
	st, err := b.m.Status(ctx)
	want := SystemProxyStatus{On: true, State: SystemProxyFailed, Problem: SystemProxyNoDesktop}
	if err != nil || st.SystemProxy != want {
		t.Fatalf("status %+v %v, want %+v", st.SystemProxy, err, want)
	}
	if !hasEvent(t, b.em.DB, msgSystemProxyFailed+"no desktop proxy setting found") {
		t.Error("the timeline does not say why")
	}
}

// A problem a Mode urgence that did not end left in the store is no
// failure once no Mode urgence runs: the status says restored, and the
// next start of the backend forgets it.
func TestSystemProxyProblemStale(t *testing.T) {
	t.Parallel()
	env, _ := sysproxyMachine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := OpenMachine(env, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DB.SetSetting(ctx, SettingSystemProxy, "true"); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.SetSetting(ctx, SettingSystemProxyProblem, SystemProxySetFailed); err != nil {
		t.Fatal(err)
	}
	if st, _ := m.Status(ctx); st.SystemProxy != (SystemProxyStatus{On: true, State: SystemProxyRestored}) {
		t.Fatalf("status with no Mode urgence running %+v", st.SystemProxy)
	}
	m.RecoverSystemProxy(ctx)
	if got := storedProblem(t, m.DB); got != "" {
		t.Fatalf("stored problem %q after recovery", got)
	}
	m.Close()
}
