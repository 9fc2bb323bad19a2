package backend

import (
	"context"
	"strconv"
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

// setSystemProxy saves the system proxy setting on through the backend,
// as the app's Réglages check does.
func setSystemProxy(t *testing.T, b *Local, on bool) {
	t.Helper()
	s := b.Settings()
	s.SystemProxy = on
	if err := b.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
}

// waitTunnelUp waits for the session's tunnel to be up.
func waitTunnelUp(ctx context.Context, t *testing.T, b *Local) {
	t.Helper()
	for !b.Snapshot().Tunnel.Up {
		if ctx.Err() != nil {
			t.Fatal("the tunnel did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveSystemProxy runs a Mode urgence of a backend (demo or not) with the
// setting off, ticks it on, then off, then stops: the desktop follows at
// once, each time, and nothing more happens after.
func liveSystemProxy(t *testing.T, demo bool) {
	env, d := sysproxyMachine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, Options{Env: env, Lang: "fr", Demo: demo})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Demo() != demo {
		t.Fatalf("Demo() = %v", b.Demo())
	}
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	waitTunnelUp(ctx, t, b)
	if d.calls() != 0 || d.get()["mode"] != "manual" {
		t.Fatalf("setting off, yet the desktop changed: %v", d.get())
	}

	setSystemProxy(t, b, true) // ticked during Mode urgence: at once
	if got := d.get(); got["mode"] != "auto" || got["url"] != "http://127.0.0.1:3128/proxy.pac" {
		t.Fatalf("ticked during Mode urgence: %v, want pointed at the PAC now", got)
	}
	if saved, err := b.em.DB.SavedSystemProxy(ctx); err != nil || len(saved) != 1 || len(saved[0].Values) != 1 || saved[0].Values["mode"] != "manual" {
		t.Fatalf("saved %+v %v, want the person's values", saved, err)
	}
	if !hasEvent(t, b.em.DB, msgSystemProxyPointed+"http://127.0.0.1:3128/proxy.pac") {
		t.Error("the timeline does not say the proxy was pointed at the PAC")
	}

	setSystemProxy(t, b, false) // unticked: given back at once
	if got := d.get(); len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("unticked during Mode urgence: %v, want the person's own values exactly", got)
	}
	if saved, err := b.em.DB.SavedSystemProxy(ctx); err != nil || saved != nil {
		t.Fatalf("still saved after unticking: %+v %v", saved, err)
	}
	if !hasEvent(t, b.em.DB, msgSystemProxyBack) {
		t.Error("the timeline does not say the proxy was restored")
	}

	// The tunnel comes up again (a new profile's [tunnel]): off stays off.
	n := d.calls()
	b.sess.tunnelUpSystemProxy(ctx, tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, HTTPProxy: "127.0.0.1:3129"}))
	if got := d.get(); d.calls() != n || len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("a tunnel restart after unticking pointed the desktop: %v", got)
	}

	b.Stop()
	setSystemProxy(t, b, true) // after Mode urgence: for the next one only
	if got := d.get(); d.calls() != n || len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("after Stop: %v (%d writes, want %d)", got, d.calls(), n)
	}
	if saved, _ := b.em.DB.SavedSystemProxy(ctx); saved != nil {
		t.Fatalf("saved after Stop: %+v", saved)
	}
}

func TestLocalSystemProxyFollowsSetting(t *testing.T) {
	t.Parallel()
	liveSystemProxy(t, false)
}

func TestLocalSystemProxyFollowsSettingDemo(t *testing.T) {
	t.Parallel()
	liveSystemProxy(t, true)
}

// A system tunnel's routes carry every program: ticking the setting
// during its Mode urgence points nothing, and unticking restores nothing.
func TestLocalSystemProxyFollowsSettingSystemMode(t *testing.T) {
	t.Parallel()
	env, d := sysproxyMachine(t)
	tun := tunneltest.New(tunnel.Status{Mode: tunnel.ModeSystem, LastHandshake: time.Now()})
	env.Seams.StartTunnel = func(context.Context, tunnel.Config) (tunnel.Tunnel, error) { return tun, nil }
	ctx, b := openLocal(t, env)
	if err := b.Start(frontend.ModeSystem); err != nil {
		t.Fatal(err)
	}
	waitTunnelUp(ctx, t, b)
	setSystemProxy(t, b, true)
	setSystemProxy(t, b, false)
	b.Stop()
	if got := d.get(); d.calls() != 0 || len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("system mode: the desktop changed: %v (%d writes)", got, d.calls())
	}
	if saved, _ := b.em.DB.SavedSystemProxy(ctx); saved != nil {
		t.Fatalf("saved in system mode: %+v", saved)
	}
}

// The setting ticked and unticked while the tunnel comes up again and
// again, then Mode urgence stopping in the middle of it: whatever the
// order, the person's values end up exactly as before and nothing stays
// saved (run with -race).
func TestLocalSystemProxyFollowsSettingConcurrently(t *testing.T) {
	t.Parallel()
	env, d := sysproxyMachine(t)
	ctx, b := openLocal(t, env)
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	waitTunnelUp(ctx, t, b)
	sess := b.sess
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 40 {
			tun := tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, HTTPProxy: "127.0.0.1:" + strconv.Itoa(4000+i)})
			sess.tunnelUpSystemProxy(ctx, tun)
		}
	}()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		time.Sleep(5 * time.Millisecond)
		b.Stop()
	}()
	for i := range 40 {
		setSystemProxy(t, b, i%2 == 0)
	}
	<-done
	<-stopped
	n := d.calls()
	if got := d.get(); len(got) != 1 || got["mode"] != "manual" {
		t.Fatalf("after Stop: %v, want the person's own values exactly", got)
	}
	if saved, err := b.em.DB.SavedSystemProxy(ctx); err != nil || saved != nil {
		t.Fatalf("saved after Stop: %+v %v", saved, err)
	}
	sess.tunnelUpSystemProxy(ctx, tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, HTTPProxy: "127.0.0.1:5000"}))
	sess.FollowSystemProxy(ctx, func() bool { return true })
	if d.calls() != n {
		t.Fatal("the desktop changed after the session ended")
	}
}
