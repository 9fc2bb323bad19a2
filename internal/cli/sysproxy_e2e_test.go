package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/office"
	"relais/internal/store"
	"relais/internal/sysproxy"
	"relais/internal/testenv"
)

// The per-user system proxy against a real GSettings: dconf-service on a
// private D-Bus session (dbus-run-session), the dconf backend, a KDE
// session's environment (so kioslaverc too, and GSettings found by its
// schema) and a home of the test's own. `relais up` runs in
// its own process against the demo office: while it runs, gsettings says
// mode 'auto' and the tunnel's PAC URL, and a client that follows the
// desktop's setting (the PAC from gsettings, run by node; curl through the
// proxy it names) reaches the office; SIGTERM puts `dconf dump
// /system/proxy/` back exactly as it was; after SIGKILL, the next `relais
// up` (with the setting off) puts it back too; kioslaverc likewise, byte
// for byte. `relais demo --headless`
// with the organisation's lock does the same round.
func TestSystemProxyGNOMEEndToEnd(t *testing.T) {
	if dir := os.Getenv("RELAIS_SYSPROXY_SESSION"); dir != "" {
		systemProxySession(t)
		return
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	testenv.NeedTools(t, "dbus-run-session", "dbus-daemon", "gsettings", "dconf", "node", "curl")
	mods, _ := filepath.Glob("/usr/lib/*/gio/modules/libdconfsettings.so")
	testenv.Need(t, len(mods) > 0, "the dconf GSettings backend is not installed (dconf-gsettings-backend; make deps installs it)")
	_, err := os.Stat("/usr/share/glib-2.0/schemas/org.gnome.system.proxy.gschema.xml")
	testenv.Need(t, err == nil, "the org.gnome.system.proxy schema is not installed (gsettings-desktop-schemas; make deps installs it)")

	dir := t.TempDir()
	for _, d := range []string{"home", "config", "run", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--",
		os.Args[0], "-test.run=^TestSystemProxyGNOMEEndToEnd$", "-test.v", "-test.count=1")
	cmd.Env = append(withoutEnv(os.Environ(), "DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME"),
		"RELAIS_SYSPROXY_SESSION="+dir, "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "run"), "XDG_DATA_HOME="+filepath.Join(dir, "data"),
		// A KDE session: kioslaverc by the desktop's name, GSettings
		// because gsettings has the schema (GLib programs read it there too).
		"GSETTINGS_BACKEND=dconf", "XDG_CURRENT_DESKTOP=KDE")
	out, err := cmd.CombinedOutput()
	t.Logf("inside dbus-run-session:\n%s", out)
	if err != nil {
		t.Fatalf("the test inside dbus-run-session failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestSystemProxyGNOMEEndToEnd") {
		t.Fatal("the test inside dbus-run-session did not pass (skipped?)")
	}
}

// gs runs a gsettings or dconf command of the session and returns its
// output without the final newline.
func gs(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimRight(string(out), "\n")
}

func proxyMode(t *testing.T) string { return gs(t, "gsettings", "get", sysproxy.GNOMESchema, "mode") }

func dconfDump(t *testing.T) string { return gs(t, "dconf", "dump", "/system/proxy/") }

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// desktopGet fetches url as a program following the desktop's proxy
// setting does: the PAC URL from gsettings, the script fetched and run
// (node, with the browser's dnsResolve), then curl through the proxy the
// script names.
func desktopGet(t *testing.T, url, host string) string {
	t.Helper()
	if m := proxyMode(t); m != "'auto'" {
		t.Fatalf("gsettings mode = %s, want 'auto'", m)
	}
	pacURL, ok := sysproxy.ParseGVariantString(gs(t, "gsettings", "get", sysproxy.GNOMESchema, "autoconfig-url"))
	if !ok || !strings.HasPrefix(pacURL, "http://127.0.0.1:") || !strings.HasSuffix(pacURL, "/proxy.pac") {
		t.Fatalf("autoconfig-url = %q, want the tunnel's PAC", pacURL)
	}
	script := gs(t, "curl", "-sS", "--noproxy", "*", "--max-time", "10", pacURL)
	harness := script + `
function dnsResolve(h) { return null; }
console.log(FindProxyForURL(process.argv[2], process.argv[3]));
`
	js := filepath.Join(t.TempDir(), "pac.js")
	if err := os.WriteFile(js, []byte(harness), 0o600); err != nil {
		t.Fatal(err)
	}
	decision := gs(t, "node", js, url, host)
	first, _, _ := strings.Cut(decision, ";")
	addr, ok := strings.CutPrefix(strings.TrimSpace(first), "PROXY ")
	if !ok {
		t.Fatalf("the PAC sends %s to %q, want the tunnel's proxy", host, decision)
	}
	return gs(t, "curl", "-sS", "--max-time", "15", "-o", "/dev/null", "-w", "%{http_code}", "-x", "http://"+addr, url)
}

// systemProxyState is `relais status --json`'s system_proxy.state.
func systemProxyState(t *testing.T, m *machineT) string {
	t.Helper()
	r := m.run("status", "--json")
	var doc struct {
		SystemProxy systemProxyJSON `json:"system_proxy"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return doc.SystemProxy.State
}

func setSystemProxy(t *testing.T, m *machineT, on bool) {
	t.Helper()
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetSetting(context.Background(), backend.SettingSystemProxy, fmt.Sprint(on)); err != nil {
		t.Fatal(err)
	}
}

func hasTimeline(t *testing.T, path, msg string) bool {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Events(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == "system_proxy" && strings.HasPrefix(e.Message, msg) {
			return true
		}
	}
	return false
}

// systemProxySession is the test proper, inside dbus-run-session.
func systemProxySession(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus inside dbus-run-session")
	}
	// The person's own setting: a manual proxy, and autoconfig-url at its
	// default (not in dconf: it must be reset, not set to '').
	gs(t, "gsettings", "set", sysproxy.GNOMESchema, "mode", "'manual'")
	gs(t, "gsettings", "set", sysproxy.GNOMESchema+".http", "host", "'proxy.example.org'")
	gs(t, "gsettings", "set", sysproxy.GNOMESchema+".http", "port", "3128")
	before := dconfDump(t)
	if !strings.Contains(before, "mode='manual'") || strings.Contains(before, "autoconfig-url") {
		t.Fatalf("the person's setting: %s", before)
	}
	kioslaverc := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kioslaverc")
	const kdeBefore = "[Cache]\nMaxCacheSize=5120\n\n[Proxy Settings]\nProxyType=1\nhttpProxy=http://proxy.example.org 3128\n"
	if err := os.WriteFile(kioslaverc, []byte(kdeBefore), 0o600); err != nil {
		t.Fatal(err)
	}
	kde := func() string {
		b, err := os.ReadFile(kioslaverc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	kdePointed := func() bool {
		k := kde()
		return strings.Contains(k, "\nProxyType=2\n") && strings.Contains(k, "\nProxy Config Script=http://127.0.0.1:")
	}
	healthURL := office.Apps[0].HealthURL
	host := office.Apps[0].Host

	_, m, keyEnv := reuseMachine(t)
	m.vars["XDG_CURRENT_DESKTOP"], m.vars["GSETTINGS_BACKEND"] = "KDE", "dconf"
	keyEnv = append(keyEnv, "LC_ALL=", "LANGUAGE=")
	if st := systemProxyState(t, m); st != backend.SystemProxyOff {
		t.Fatalf("status before the setting: %s", st)
	}
	setSystemProxy(t, m, true)

	// Mode urgence, stopped by SIGTERM.
	up, _ := m.startUp(keyEnv, "--mode", "userspace")
	waitFor(t, "gsettings mode 'auto'", func() bool { return proxyMode(t) == "'auto'" })
	if !kdePointed() {
		t.Fatalf("kioslaverc during Mode urgence:\n%s", kde())
	}
	if code := desktopGet(t, healthURL, host); code != "200" {
		t.Fatalf("the office through the desktop's proxy setting: HTTP %s", code)
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyPointed {
		t.Fatalf("status during Mode urgence: %s", st)
	}
	up.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-up.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("relais up did not stop on SIGTERM:\n%s", up.stderr)
	}
	if after := dconfDump(t); after != before {
		t.Fatalf("after SIGTERM dconf holds\n%s\nwant exactly\n%s", after, before)
	}
	if k := kde(); k != kdeBefore {
		t.Fatalf("after SIGTERM kioslaverc is\n%q\nwant exactly\n%q", k, kdeBefore)
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyRestored {
		t.Fatalf("status after Mode urgence: %s", st)
	}
	mainDB := filepath.Join(m.vars["RELAIS_HOME"], "relais.db")
	if !hasTimeline(t, mainDB, "system proxy pointed at the PAC http://127.0.0.1:") || !hasTimeline(t, mainDB, "system proxy restored") {
		t.Error("the timeline does not say the proxy was pointed and restored")
	}

	// KDE's setting cannot be read (kioslaverc is a directory): while
	// Mode urgence runs, relais status says the pointing failed, and the
	// end of Mode urgence clears it.
	if err := os.Rename(kioslaverc, kioslaverc+".kept"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(kioslaverc, 0o700); err != nil {
		t.Fatal(err)
	}
	up, _ = m.startUp(keyEnv, "--mode", "userspace")
	waitFor(t, "relais status: failed", func() bool { return systemProxyState(t, m) == backend.SystemProxyFailed })
	if r := m.run("status", "--json"); !strings.Contains(r.stdout, `"problem":"set_failed"`) && !strings.Contains(r.stdout, `"problem": "set_failed"`) {
		t.Fatalf("status --json during a failed pointing:\n%s", r.stdout)
	}
	if !hasTimeline(t, mainDB, "warning: system proxy not pointed at the PAC: sysproxy: kde: read:") {
		t.Error("the timeline lost the raw error")
	}
	if code := up.stop(t); code != ExitOK {
		t.Fatalf("relais up exited %d:\n%s", code, up.stderr)
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyRestored {
		t.Fatalf("status after the failed Mode urgence: %s", st)
	}
	if after := dconfDump(t); after != before {
		t.Fatalf("after the failed Mode urgence dconf holds\n%s\nwant exactly\n%s", after, before)
	}
	if err := os.Remove(kioslaverc); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(kioslaverc+".kept", kioslaverc); err != nil {
		t.Fatal(err)
	}

	// Killed: the setting stays pointed at a dead PAC until the next
	// start, which puts it back even with the setting now off.
	up, _ = m.startUp(keyEnv, "--mode", "userspace")
	waitFor(t, "gsettings mode 'auto' again", func() bool { return proxyMode(t) == "'auto'" })
	up.cmd.Process.Kill()
	<-up.done
	if proxyMode(t) != "'auto'" || !kdePointed() {
		t.Fatal("SIGKILL restored the setting: the test proves nothing")
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyPointed {
		t.Fatalf("status after SIGKILL: %s", st)
	}
	setSystemProxy(t, m, false)
	up, _ = m.startUp(keyEnv, "--mode", "userspace")
	if after := dconfDump(t); after != before {
		t.Fatalf("the next relais up left dconf as\n%s\nwant exactly\n%s", after, before)
	}
	if k := kde(); k != kdeBefore {
		t.Fatalf("the next relais up left kioslaverc as\n%q\nwant exactly\n%q", k, kdeBefore)
	}
	if !hasTimeline(t, mainDB, "system proxy restored (left pointed") {
		t.Error("the timeline does not say the next start restored the proxy")
	}
	if code := up.stop(t); code != ExitOK {
		t.Fatalf("relais up exited %d:\n%s", code, up.stderr)
	}
	if after := dconfDump(t); after != before {
		t.Fatalf("dconf changed with the setting off:\n%s", after)
	}

	// The demo, headless, with the organisation's lock on.
	conf, err := os.ReadFile(m.vars["RELAIS_CONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.vars["RELAIS_CONFIG"], append(conf, "[locked]\nsystem_proxy = true\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := m.child(ctx, []string{"LC_ALL=", "LANGUAGE="}, "demo", "--headless")
	if res.code != ExitOK {
		t.Fatalf("relais demo --headless exited %d:\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	demoDB := filepath.Join(m.vars["RELAIS_HOME"], "demo", "relais.db")
	if !hasTimeline(t, demoDB, "system proxy pointed at the PAC http://127.0.0.1:") || !hasTimeline(t, demoDB, "system proxy restored") {
		t.Error("the demo's timeline does not say the proxy was pointed and restored")
	}
	if after := dconfDump(t); after != before {
		t.Fatalf("after the demo dconf holds\n%s\nwant exactly\n%s", after, before)
	}
	if k := kde(); k != kdeBefore {
		t.Fatalf("after the demo kioslaverc is\n%q", k)
	}
}
