package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/backend"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/launch"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// env is the machine's environment for a long-lived caller (the desk).
func (m *machineT) env() backend.Env {
	return backend.Env{GOOS: "linux", Home: m.t.TempDir(), Now: time.Now, Seams: m.seams,
		Getenv: func(k string) string { return m.vars[k] }}
}

func openDesk(t *testing.T, m *machineT, opt backend.Options) *backend.Local {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opt.Env = m.env()
	d, err := backend.Open(ctx, opt)
	if err != nil {
		t.Fatalf("OpenDesk: %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

// events subscribes to the desk; the channel never blocks the engine.
func events(d *backend.Local) (<-chan engine.Event, func()) {
	ch := make(chan engine.Event, 1000)
	cancel := d.Subscribe(func(ev engine.Event) {
		select {
		case ch <- ev:
		default:
		}
	})
	return ch, cancel
}

// waitReport waits for an event whose snapshot carries a report of a run
// after the first `after` ones (events are coalesced: their kind may be
// lost, never the state).
func waitReport(t *testing.T, ch <-chan engine.Event, after int) engine.Snapshot {
	t.Helper()
	deadline := time.After(8 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Snapshot.Report != nil && ev.Snapshot.Runs > after {
				return ev.Snapshot
			}
		case <-deadline:
			t.Fatal("no report within 8 s")
		}
	}
}

func drain(ch <-chan engine.Event) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// recordLaunches replaces the launcher with one that records what it would
// start: no browser ever opens.
func recordLaunches(m *machineT) func() [][]string {
	var (
		mu   sync.Mutex
		runs [][]string
	)
	m.seams.NewLauncher = func(dataDir string) *launch.Launcher {
		return &launch.Launcher{DataDir: dataDir,
			Exec: func(name string, args ...string) error {
				mu.Lock()
				defer mu.Unlock()
				runs = append(runs, append([]string{name}, args...))
				return nil
			},
			LookPath: func(name string) (string, error) {
				if name == "chromium" {
					return "/fake/chromium", nil
				}
				return "", errors.New("not found")
			},
		}
	}
	return func() [][]string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(runs)
	}
}

// waitStatusUp polls `relais status` as another process would, until it
// shows the tunnel up.
func (m *machineT) waitStatusUp() statusDoc {
	m.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, doc := m.status()
		if code == ExitOK && doc.Tunnel != nil && doc.Tunnel.Up && !doc.Tunnel.Stale {
			return doc
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("status never showed the tunnel up: %d %+v", code, doc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDeskDemo(t *testing.T) {
	t.Parallel()

	m := newMachine(t)
	m.seams.DemoSlowDelay = 900 * time.Millisecond // still above the profile's 800 ms degraded_if
	launches := recordLaunches(m)
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	if !d.Demo() || d.Active() {
		t.Fatalf("demo %v, active %v", d.Demo(), d.Active())
	}
	ps := d.Profile()
	if ps.Profile == nil || ps.Serial != ps.Profile.Serial || ps.Signature != "valid" || ps.FetchedAt.IsZero() || ps.Expired || ps.Problem != nil {
		t.Fatalf("demo profile: %+v", ps)
	}
	if s := d.Snapshot(); s.Phase != engine.PhaseIdle {
		t.Fatalf("before Start: %+v", s)
	}
	if err := d.OpenLink("portail"); err == nil || !strings.Contains(appWords("fr", err), "activez d'abord le Mode urgence") {
		t.Fatalf("a tunnel link before Mode urgence: %v", err)
	}
	ch, _ := events(d)
	// The GUI reads from its own goroutines while Mode urgence comes and
	// goes: the race detector watches.
	readers, stopReaders := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stopReaders(); wg.Wait() }()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for readers.Err() == nil {
				_ = d.Snapshot()
				_ = d.Profile()
				_, _ = d.Asset("x")
				_ = d.Settings()
				_ = d.Active()
				d.SetLanguage("fr")
				cancel := d.Subscribe(func(engine.Event) {})
				cancel()
				time.Sleep(time.Millisecond)
			}
		}()
	}

	if err := d.Start(""); err != nil {
		t.Fatal(err)
	}
	if !d.Active() {
		t.Fatal("not active after Start")
	}
	snap := waitReport(t, ch, 0)
	if wrong := demoSurprises(snap.Report); len(wrong) > 0 {
		t.Fatalf("the demo apps are not in their designed states: %v", wrong)
	}
	d.Recheck()
	if again := waitReport(t, ch, snap.Runs); again.Runs != snap.Runs+1 || !again.Report.Started.After(snap.Report.Started) {
		t.Fatalf("Recheck: runs %d after %d", again.Runs, snap.Runs)
	}
	if !snap.Profile.Signed || snap.Tunnel.Mode != tunnel.ModeUserspace {
		t.Fatalf("snapshot: %+v", snap)
	}

	// Another process sees the same Mode urgence in the demo store.
	doc := m.waitStatusUp()
	live := d.Snapshot().Tunnel
	if !doc.Demo || doc.Tunnel.Mode != tunnel.ModeUserspace || doc.Tunnel.SOCKS5 == "" || doc.Tunnel.SOCKS5 != live.SOCKS5 {
		t.Fatalf("status: %+v, desk: %+v", doc.Tunnel, live)
	}
	if doc.Engine == nil || doc.Engine.Stopped || doc.Engine.Runs < 1 {
		t.Fatalf("status engine: %+v", doc.Engine)
	}
	states := map[string]string{}
	for _, c := range doc.Checks {
		states[c.ID] = c.State
	}
	if states["paie-web"] != "ok" || states["messagerie-web"] != "failed" || states["dossiers-web"] != "degraded" {
		t.Fatalf("status checks: %v", states)
	}
	if r := m.run("status"); !strings.Contains(r.stdout, "Démonstration") || !strings.Contains(r.stdout, "Tunnel : ouvert (sans droits d'administrateur)") {
		t.Fatalf("status: %+v", r)
	}

	// A tunnel link opens in a browser through the tunnel's proxy, from
	// the app and from `relais open` elsewhere.
	if err := d.OpenLink("portail"); err != nil {
		t.Fatal(err)
	}
	if err := d.OpenLink("nope"); err == nil || !strings.Contains(appWords("fr", err), "« nope »") || !strings.Contains(appWords("fr", err), "portail, dossiers") {
		t.Fatalf("unknown link: %v", err)
	}
	if r := m.run("open", "dossiers"); r.code != ExitOK {
		t.Fatalf("relais open: %+v", r)
	}
	runs := launches()
	if len(runs) != 2 {
		t.Fatalf("launched %q", runs)
	}
	for i, url := range []string{"http://portail.intra/", "http://dossiers.intra/"} {
		if argv := runs[i]; argv[0] != "/fake/chromium" || !slices.Contains(argv, "--proxy-pac-url=http://"+live.HTTPProxy+"/proxy.pac") || argv[len(argv)-1] != url {
			t.Fatalf("browser argv %q", argv)
		}
	}

	d.Stop()
	if d.Active() {
		t.Fatal("active after Stop")
	}
	final := d.Snapshot()
	if !final.Stopped || final.Tunnel.Up || final.Report == nil {
		t.Fatalf("after Stop: stopped %v, tunnel %+v, report %v", final.Stopped, final.Tunnel, final.Report != nil)
	}
	if code, doc := m.status(); code != ExitUnhealthy || doc.Tunnel != nil || doc.Engine != nil {
		t.Fatalf("status after Stop: %d %+v", code, doc)
	}
	if err := d.OpenLink("portail"); err == nil {
		t.Fatal("a tunnel link opened after Stop")
	}

	// Again: a new engine, and the same subscriber hears it.
	drain(ch)
	if err := d.Start(frontend.ModeAuto); err != nil {
		t.Fatal(err)
	}
	again := waitReport(t, ch, 0)
	if !again.Started.After(snap.Started) || len(demoSurprises(again.Report)) > 0 {
		t.Fatalf("second start: %+v", again)
	}
	m.waitStatusUp()
	d.Close()
	if code, doc := m.status(); code != ExitUnhealthy || doc.Tunnel != nil {
		t.Fatalf("status after Close: %d %+v", code, doc)
	}
	if err := d.Start(""); err == nil {
		t.Fatal("Start after Close")
	}

	// The demo never touched the user's own profile cache.
	if r := m.run("profile", "show"); r.code != ExitUnhealthy {
		t.Fatalf("the user's profile cache changed: %+v", r)
	}
}

// lock appends a [locked] section to the machine's managed configuration.
func (m *machineT) lock(section string) {
	m.t.Helper()
	f, err := os.OpenFile(m.vars["RELAIS_CONFIG"], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		m.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n[locked]\n" + section); err != nil {
		m.t.Fatal(err)
	}
}

func autostartFile(m *machineT) string {
	return filepath.Join(m.vars["XDG_CONFIG_HOME"], "autostart", "org.relais.Relais.desktop")
}

func TestDeskManaged(t *testing.T) {
	t.Parallel()
	_, m := officeMachine(t, office.Options{Serial: 7})
	m.vars["XDG_CONFIG_HOME"] = t.TempDir()
	m.lock("tunnel_mode = \"userspace\"\nautostart = true\n")

	d := openDesk(t, m, backend.Options{Lang: "fr"})
	if d.Demo() {
		t.Fatal("an organisation's machine runs the demo")
	}
	if l := d.Locks(); !l.TunnelMode || !l.Autostart {
		t.Fatalf("locks %+v", l)
	}
	// The locked autostart is applied at open.
	if _, err := os.Stat(autostartFile(m)); err != nil {
		t.Fatalf("locked autostart not applied: %v", err)
	}
	if s := d.Settings(); s != (frontend.Settings{Language: frontend.LanguageAuto, Autostart: true, TunnelMode: frontend.ModeUserspace}) {
		t.Fatalf("settings %+v", s)
	}
	if err := d.SaveSettings(frontend.Settings{Language: "en", Autostart: false, TunnelMode: frontend.ModeUserspace}); err == nil ||
		appWords("fr", err) != "Ce réglage est géré par votre organisation." {
		t.Fatalf("locked autostart changed: %v", err)
	}
	d.SetLanguage("en")
	if err := d.SaveSettings(frontend.Settings{Language: "en", Autostart: true, TunnelMode: frontend.ModeSystem}); err == nil ||
		appWords("en", err) != "This setting is managed by your organisation." {
		t.Fatalf("locked tunnel mode changed: %v", err)
	}
	if err := d.SaveSettings(frontend.Settings{Language: "en", Autostart: true, TunnelMode: frontend.ModeUserspace}); err != nil {
		t.Fatal(err)
	}
	if s := d.Settings(); s.Language != "en" {
		t.Fatalf("settings %+v", s)
	}
	if err := d.Start(frontend.ModeSystem); err == nil || !strings.Contains(appWords("en", err), "Your organisation sets the tunnel mode: userspace") {
		t.Fatalf("Start in a mode the organisation forbids: %v", err)
	}
	if d.Active() {
		t.Fatal("active after a refused Start")
	}
	ps := d.Profile()
	if ps.Serial != 7 || ps.Signature != "valid" || ps.Problem != nil || ps.Profile == nil {
		t.Fatalf("profile %+v", ps)
	}

	ch, cancel := events(d)
	defer cancel()
	if err := d.Start(""); err != nil {
		t.Fatal(err)
	}
	snap := waitReport(t, ch, 0)
	if wrong := demoSurprises(snap.Report); len(wrong) > 0 || snap.Profile.Serial != 7 || !snap.Profile.Signed {
		t.Fatalf("report: %v %+v", wrong, snap.Profile)
	}
	// `relais status` reads the user's own store, as for `relais up`.
	doc := m.waitStatusUp()
	if doc.Demo || doc.Tunnel.Mode != tunnel.ModeUserspace || doc.Tunnel.HTTPProxy == "" {
		t.Fatalf("status %+v", doc)
	}
	d.Stop()
	if code, doc := m.status(); code != ExitUnhealthy || doc.Tunnel != nil || doc.Engine != nil {
		t.Fatalf("status after Stop: %d %+v", code, doc)
	}
}

func TestDeskSettingsAndAutostart(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.vars["XDG_CONFIG_HOME"] = t.TempDir()
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	if s := d.Settings(); s != frontend.DefaultSettings() {
		t.Fatalf("a new user's settings: %+v", s)
	}
	if l := d.Locks(); l != (frontend.Locks{}) {
		t.Fatalf("locks without managed configuration: %+v", l)
	}
	want := frontend.Settings{Language: frontend.LanguageEN, Autostart: true, TunnelMode: frontend.ModeUserspace}
	if err := d.SaveSettings(want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(autostartFile(m))
	if err != nil {
		t.Fatalf("autostart entry: %v", err)
	}
	exe, _ := os.Executable()
	if !strings.Contains(string(b), "Exec="+exe) || !strings.Contains(string(b), "Name=Relais") {
		t.Fatalf("autostart entry:\n%s", b)
	}
	for _, bad := range []struct {
		s    frontend.Settings
		want string
	}{
		{frontend.Settings{Language: "de", TunnelMode: frontend.ModeAuto}, "Langue inconnue : de"},
		{frontend.Settings{Language: frontend.LanguageFR, TunnelMode: "turbo"}, "Mode de tunnel inconnu : turbo"},
	} {
		if err := d.SaveSettings(bad.s); err == nil || !strings.Contains(appWords("fr", err), bad.want) {
			t.Errorf("SaveSettings(%+v): %v", bad.s, err)
		}
	}
	if s := d.Settings(); s != want {
		t.Fatalf("after refusals: %+v, want %+v", s, want)
	}
	d.Close()

	// The settings outlive the app, in the user's store; `relais check`
	// and `relais up` take the saved tunnel mode.
	d = openDesk(t, m, backend.Options{})
	if s := d.Settings(); s != want {
		t.Fatalf("reopened: %+v, want %+v", s, want)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Setting(context.Background(), backend.SettingTunnelMode); err != nil || v != "userspace" {
		t.Fatalf("saved tunnel mode %q %v", v, err)
	}

	want.Autostart = false
	if err := d.SaveSettings(want); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(autostartFile(m)); !os.IsNotExist(err) {
		t.Fatalf("autostart entry still there: %v", err)
	}
}

func TestChooseModeUsesTheSetting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMachine(t)
	choose := func(flag string) (tunnel.Mode, int, string) {
		t.Helper()
		var errb bytes.Buffer
		mach, err := backend.OpenMachine(m.env(), false)
		if err != nil {
			t.Fatalf("openMachine: %v", err)
		}
		defer mach.Close()
		mode, err := mach.ChooseMode(ctx, flag)
		if err != nil {
			errb.WriteString(appWords("en", err))
			return mode, ExitUsage, errb.String()
		}
		return mode, ExitOK, errb.String()
	}
	if mode, _, _ := choose(""); mode != tunnel.ModeAuto {
		t.Fatalf("no setting: %s", mode)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetSetting(ctx, backend.SettingTunnelMode, "system"); err != nil {
		t.Fatal(err)
	}
	if mode, _, _ := choose(""); mode != tunnel.ModeSystem {
		t.Fatalf("saved system: %s", mode)
	}
	if mode, _, _ := choose("userspace"); mode != tunnel.ModeUserspace {
		t.Fatalf("--mode wins over the setting: %s", mode)
	}
	// The organisation's lock wins over the setting, and refuses a flag.
	pk, _ := newKey(t)
	m.manage("https://continuite.example.org/relais/profile.toml", "", pk)
	m.lock("tunnel_mode = \"userspace\"\n")
	if mode, _, _ := choose(""); mode != tunnel.ModeUserspace {
		t.Fatalf("locked userspace, saved system: %s", mode)
	}
	if _, code, msg := choose("system"); code != ExitUsage || !strings.Contains(msg, "Your organisation sets the tunnel mode") {
		t.Fatalf("--mode system against the lock: %d %s", code, msg)
	}
}

func TestDeskAssetsAndProfileProblems(t *testing.T) {
	t.Parallel()
	m, _ := syncedMachine(t)
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	img := profiletest.Testdata(t, "profiles", "assets", "etape1.png")
	if b, ok := d.Asset("etape1.png"); !ok || !bytes.Equal(b, img) {
		t.Fatalf("asset: %v, %d bytes, want %d", ok, len(b), len(img))
	}
	if _, ok := d.Asset("nope.png"); ok {
		t.Fatal("an unknown asset was found")
	}
	if ps := d.Profile(); ps.Serial != 7 || ps.Signature != "valid" || ps.Problem != nil {
		t.Fatalf("profile %+v", ps)
	}

	// A profile whose signature no trusted key verifies any more.
	other, _ := newKey(t)
	m.manage("https://continuite.example.org/relais/profile.toml", "", other)
	d2 := openDesk(t, m, backend.Options{Lang: "en"})
	if ps := d2.Profile(); ps.Signature != "invalid" || !strings.Contains(appWords("en", ps.Problem), "no longer carry a recognised signature") {
		t.Fatalf("untrusted profile: %+v", ps)
	}

	// No profile yet, and the source does not answer: Start says so.
	m2 := newMachine(t)
	pk, _ := newKey(t)
	m2.manage("http://127.0.0.1:1/relais/profile.toml", "", pk)
	d3 := openDesk(t, m2, backend.Options{Lang: "fr"})
	ps := d3.Profile()
	if ps.Profile != nil || !strings.Contains(appWords("fr", ps.Problem), "n'a pas encore reçu les consignes") {
		t.Fatalf("no profile: %+v", ps)
	}
	if err := d3.Start(""); err == nil || d3.Active() {
		t.Fatalf("Start without a profile: %v", err)
	}
	if err := d3.OpenLink("portail-urgence"); err == nil || !strings.Contains(appWords("fr", err), "consignes") {
		t.Fatalf("OpenLink without a profile: %v", err)
	}
}

func TestDeskIdentity(t *testing.T) {
	t.Parallel()
	m, tun := syncedMachine(t)
	kr := fakeKeyring(m)
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	if id := d.Identity(); id.PublicKey != "" || id.Problem != nil || id.Setup != frontend.SetupNone {
		t.Fatalf("before any key: %+v", id)
	}
	if err := d.GenerateKey(false); err != nil {
		t.Fatal(err)
	}
	id := d.Identity()
	if len(id.PublicKey) != 44 || id.Source != "generated" || id.Problem != nil || id.Setup != frontend.SetupNoAddress {
		t.Fatalf("after generate: %+v", id)
	}
	if err := d.GenerateKey(false); identityCode(err) != frontend.IdentityErrExists || err.(*frontend.IdentityError).PublicKey != id.PublicKey {
		t.Fatalf("a second generate: %v", err)
	}
	if err := d.ImportConf(filepath.Join(t.TempDir(), "absent.conf"), false); identityCode(err) != frontend.IdentityErrUnreadable ||
		err.(*frontend.IdentityError).File != "absent.conf" {
		t.Fatalf("import of a missing file: %v", err)
	}
	// IT's .conf: its key replaces the generated one only when asked.
	conf, key := writeConf(t, tun, nil)
	if err := d.ImportConf(conf, false); identityCode(err) != frontend.IdentityErrExists {
		t.Fatalf("import over a generated key: %v", err)
	}
	if d.Identity().PublicKey != id.PublicKey {
		t.Fatal("a refused import changed the identity")
	}
	if err := d.ImportConf(conf, true); err != nil {
		t.Fatal(err)
	}
	id = d.Identity()
	if id.PublicKey != key.PublicKey().String() || id.Source != filepath.Base(conf) || len(id.Addresses) == 0 || id.Problem != nil ||
		id.Setup != frontend.SetupReady {
		t.Fatalf("after import: %+v", id)
	}

	// Another key in the keyring than the one recorded.
	other, _ := wgtypes.GeneratePrivateKey()
	if err := m.env().Vault().SetPrivateKey(tunnel.Key(other)); err != nil {
		t.Fatal(err)
	}
	if got := d.Identity(); got.PublicKey != id.PublicKey || !strings.Contains(appWords("fr", got.Problem), "ne correspond plus") || got.Setup != frontend.SetupKeyMismatch {
		t.Fatalf("mismatch: %+v", got)
	}
	d.SetLanguage("en")
	if got := d.Identity(); !strings.Contains(appWords("en", got.Problem), "no longer matches") {
		t.Fatalf("mismatch in English: %+v", got)
	}
	// Delete: the keyring and the store forget it.
	if err := d.DeleteKey(); err != nil {
		t.Fatal(err)
	}
	if got := d.Identity(); got.PublicKey != "" || got.Setup != frontend.SetupNone || storedKey(kr) != "" {
		t.Fatalf("after delete: %+v", got)
	}
	if err := d.ImportConf(conf, false); err != nil {
		t.Fatal(err)
	}
	kr.Fail(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	if got := d.Identity(); got.PublicKey != key.PublicKey().String() || !strings.Contains(appWords("fr", got.Problem), "GNOME Keyring") || got.Setup != frontend.SetupNoKeyring {
		t.Fatalf("no keyring: %+v", got)
	}
	err := d.GenerateKey(true)
	if identityCode(err) != frontend.IdentityErrNoKeyring || !strings.Contains(appWords("fr", err.(*frontend.IdentityError).Detail[0]), "GNOME Keyring") {
		t.Fatalf("generate without a keyring: %v", err)
	}
	if err := d.DeleteKey(); identityCode(err) != frontend.IdentityErrNoKeyring {
		t.Fatalf("delete without a keyring: %v", err)
	}
}

// identityCode is the code of an identity operation's error, "" if none.
func identityCode(err error) string {
	var e *frontend.IdentityError
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "not an IdentityError: " + err.Error()
	}
	return ""
}

// Without managed configuration, `relais status` and `relais open` read
// the demo store that the app fills.
func TestStatusAndOpenUseTheDemoStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMachine(t)
	demoPath := filepath.Join(m.vars["RELAIS_HOME"], "demo", "relais.db")
	if code, doc := m.status(); code != ExitUnhealthy || doc.Demo || doc.Tunnel != nil {
		t.Fatalf("nothing recorded: %d %+v", code, doc)
	}
	if _, err := os.Stat(demoPath); !os.IsNotExist(err) {
		t.Fatalf("status created the demo store: %v", err)
	}

	if err := os.MkdirAll(filepath.Dir(demoPath), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(demoPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	body := profiletest.Example(t, "https://continuite.example.org", 7)
	sum := sha256.Sum256(body)
	if err := db.SaveProfile(ctx, store.CachedProfile{Serial: 7, SHA256: hex.EncodeToString(sum[:]), Bytes: body,
		Signature: []byte("demo"), Source: "demo"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordLive(ctx, store.LiveRecord{PID: os.Getpid(), SnapshotJSON: liveTunnelJSON(userspaceState), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	code, doc := m.status()
	if code != ExitOK || !doc.Demo || doc.Tunnel == nil || doc.Tunnel.SOCKS5 != "127.0.0.1:41080" {
		t.Fatalf("demo recorded: %d %+v", code, doc)
	}
	if r := m.run("status", "--lang", "en"); !strings.Contains(r.stdout, "Demo: this is the state of the demo office") {
		t.Fatalf("status: %+v", r)
	}
	launches := recordLaunches(m)
	if r := m.run("open", "portail-urgence"); r.code != ExitOK {
		t.Fatalf("open: %+v", r)
	}
	if runs := launches(); len(runs) != 1 || !slices.Contains(runs[0], "--proxy-pac-url=http://127.0.0.1:48080/proxy.pac") {
		t.Fatalf("launched %q", runs)
	}

	// An organisation's machine reads its own store only.
	pk, _ := newKey(t)
	m.manage("https://continuite.example.org/relais/profile.toml", "", pk)
	if code, doc := m.status(); code != ExitUnhealthy || doc.Demo || doc.Tunnel != nil {
		t.Fatalf("managed machine: %d %+v", code, doc)
	}
	if r := m.run("open", "portail-urgence"); r.code != ExitUsage || len(launches()) != 1 {
		t.Fatalf("open on a managed machine without profile: %+v", r)
	}
}

// The engine's background sync: a newer profile reaches Profile() before
// the event that says so; a refused one leaves the last good profile with
// a sentence saying why.
func TestDeskProfileUpdates(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{Serial: 7, SlowDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tunnelConfig := func(_ context.Context, _ *backend.Machine, p *profile.Profile) (tunnel.Config, error) {
		return tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	}
	// The organisation republishes the office's profile, signed with its
	// own key, on its own server.
	pk, sk := newKey(t)
	_, otherSK := newKey(t)
	srv := profiletest.New(t)
	publish := func(serial int, key minisign.PrivateKey) {
		body := bytes.Replace(o.Profile, []byte("serial = 7\n"), []byte(fmt.Sprintf("serial = %d\n", serial)), 1)
		srv.Set(profiletest.ProfilePath, body)
		srv.Set(profiletest.SignaturePath, minisign.Sign(key, body))
	}
	publish(7, sk)
	m := newMachine(t)
	m.seams.TunnelConfig = tunnelConfig
	m.manage(srv.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("sync: %+v", r)
	}
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	ch, _ := events(d)

	publish(8, sk)
	if err := d.Start(""); err != nil {
		t.Fatal(err)
	}
	// Events are coalesced: the snapshot says which profile is in use.
	for updated := false; !updated; {
		select {
		case ev := <-ch:
			updated = ev.Snapshot.Profile.Serial == 8
		case <-ctx.Done():
			t.Fatal("the engine never used serial 8")
		}
	}
	if ps := d.Profile(); ps.Serial != 8 || ps.Profile == nil || ps.Profile.Serial != 8 || ps.Signature != "valid" || ps.Problem != nil {
		t.Fatalf("after the update: %+v", ps)
	}
	d.Stop()

	publish(9, otherSK)
	if err := d.Start(""); err != nil {
		t.Fatal(err)
	}
	var ps frontend.ProfileState
	for ps = d.Profile(); ps.Problem == nil && ctx.Err() == nil; ps = d.Profile() {
		time.Sleep(10 * time.Millisecond)
	}
	if ps.Serial != 8 || !strings.Contains(appWords("fr", ps.Problem), "Relais garde la dernière version sûre (série 8)") {
		t.Fatalf("after a refused update: %+v", ps)
	}
	d.SetLanguage("en")
	if ps := d.Profile(); !strings.Contains(appWords("en", ps.Problem), "keeps the last safe version (serial 8)") {
		t.Fatalf("in English: %+v", ps)
	}
	d.Stop()
}
