package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/launch"
	"relais/internal/profile/profiletest"
	"relais/internal/store"
)

// oddURL is a link URL full of what a shell would act on.
const oddURL = "https://portail.intra.example.org/a;b&c|d$(id)`id`'q'\"r\" s%20t"

// openMachineT is a machine with the example profile cached, plus a tunnel
// link with an odd URL, and a launcher that records what it would start.
type openMachineT struct {
	*machineT
	db       *store.DB
	runs     [][]string
	browsers map[string]bool
}

func newOpenMachine(t *testing.T, withProfile bool) *openMachineT {
	m := &openMachineT{machineT: newMachine(t), browsers: map[string]bool{"chromium": true, "firefox": true}}
	if err := os.MkdirAll(m.vars["RELAIS_HOME"], 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m.db = db
	if withProfile {
		body := string(profiletest.Example(t, "https://continuite.example.org", 7))
		body += "\n[[links]]\nid = \"bizarre\"\nname = { fr = \"Lien bizarre\", en = \"Odd link\" }\nurl = " +
			strings.ReplaceAll(`"`+oddURL+`"`, `"r"`, `\"r\"`) + "\nvia = \"tunnel\"\n"
		sum := sha256.Sum256([]byte(body))
		if err := db.SaveProfile(context.Background(), store.CachedProfile{Serial: 7, SHA256: hex.EncodeToString(sum[:]),
			Bytes: []byte(body), Signature: []byte("not checked by open"), Source: "test"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	m.seams.NewLauncher = func(dataDir string) *launch.Launcher {
		return &launch.Launcher{
			DataDir: dataDir,
			Exec: func(name string, args ...string) error {
				m.runs = append(m.runs, append([]string{name}, args...))
				return nil
			},
			LookPath: func(name string) (string, error) {
				if m.browsers[name] {
					return "/fake/" + name, nil
				}
				return "", errors.New("not found")
			},
		}
	}
	return m
}

func (m *openMachineT) tunnelState(pid int, at time.Time, status string) {
	m.t.Helper()
	if err := m.db.RecordLive(context.Background(), store.LiveRecord{PID: pid, SnapshotJSON: liveTunnelJSON(status), UpdatedAt: at}); err != nil {
		m.t.Fatal(err)
	}
}

// open runs `relais open` in-process, in lang.
func (m *openMachineT) open(lang string, args ...string) result {
	m.t.Helper()
	m.runs = nil
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Env: backend.Env{GOOS: "linux", Home: m.t.TempDir(), Now: time.Now, Seams: m.seams, Getenv: func(k string) string { return m.vars[k] }}}
	code := cmdOpen(context.Background(), &run{Env: env, lang: lang}, args)
	return result{code, out.String(), errb.String()}
}

// liveTunnelJSON is a live record (an engine snapshot) holding only the
// tunnel status statusJSON.
func liveTunnelJSON(statusJSON string) string { return `{"tunnel":` + statusJSON + `}` }

const userspaceState = `{"mode":"userspace","up":true,"endpoint":"203.0.113.1:51820","socks5":"127.0.0.1:41080","http_proxy":"127.0.0.1:48080"}`

func TestOpenRefusals(t *testing.T) {
	t.Parallel()
	m := newOpenMachine(t, false)
	// No managed configuration: the message points at the demo.
	if r := m.open("fr", "portail-urgence"); r.code != ExitUsage || !strings.Contains(r.stderr, "relais demo --headless") {
		t.Fatalf("no profile: %+v", r)
	}
	m = newOpenMachine(t, true)
	if r := m.open("fr"); r.code != ExitUsage || !strings.Contains(r.stderr, "relais open") {
		t.Fatalf("no link id: %+v", r)
	}
	if r := m.open("fr", "a", "b"); r.code != ExitUsage {
		t.Fatalf("two link ids: %+v", r)
	}
	r := m.open("en", "nope")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `"nope"`) ||
		!strings.Contains(r.stderr, "portail-urgence, paie, bureau-virtuel, cellule-crise, consignes-publiques, bizarre") {
		t.Fatalf("unknown link: %+v", r)
	}

	// A tunnel link while no tunnel is up, or its record is stale.
	for _, state := range []func(){
		func() {},
		func() { m.tunnelState(os.Getpid(), time.Now().Add(-time.Minute), userspaceState) },
		func() { m.tunnelState(1<<22+12345, time.Now(), userspaceState) },
		func() { m.tunnelState(os.Getpid(), time.Now(), `{"mode":"userspace","up":false}`) },
	} {
		state()
		r := m.open("fr", "portail-urgence")
		if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "relais up") || len(m.runs) != 0 {
			t.Fatalf("tunnel link without a tunnel: %+v ran %q", r, m.runs)
		}
	}
	if r := m.open("en", "portail-urgence"); !strings.Contains(r.stderr, "Start Mode urgence (relais up) first") {
		t.Fatalf("English: %s", r.stderr)
	}
	// Proxies turned off in userspace mode: no browser can use the tunnel.
	m.tunnelState(os.Getpid(), time.Now(), `{"mode":"userspace","up":true}`)
	if r := m.open("fr", "portail-urgence"); r.code != ExitUnhealthy || len(m.runs) != 0 {
		t.Fatalf("no proxy: %+v", r)
	}
}

func TestOpenUserspace(t *testing.T) {
	t.Parallel()
	m := newOpenMachine(t, true)
	m.tunnelState(os.Getpid(), time.Now(), userspaceState)
	r := m.open("fr", "portail-urgence")
	dir := filepath.Join(m.vars["RELAIS_HOME"], "browsers", "chromium")
	if r.code != ExitOK || len(m.runs) != 1 {
		t.Fatalf("%+v ran %q", r, m.runs)
	}
	argv := m.runs[0]
	if argv[0] != "/fake/chromium" || !slices.Contains(argv, "--proxy-pac-url=http://127.0.0.1:48080/proxy.pac") ||
		!slices.Contains(argv, "--user-data-dir="+dir) || argv[len(argv)-1] != "https://portail.intra.example.org/" {
		t.Fatalf("browser argv %q", argv)
	}
	if !strings.Contains(r.stdout, "« Portail d'urgence » ouvert dans chromium à travers le proxy local http://127.0.0.1:48080") {
		t.Fatalf("stdout %q", r.stdout)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("profile dir: %v %v", fi, err)
	}

	// The odd URL reaches the browser as one argument, unchanged.
	r = m.open("fr", "bizarre", "--json")
	var doc openJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitOK {
		t.Fatalf("--json: %v %+v", err, r)
	}
	if doc.URL != oddURL || doc.Method != launch.MethodBrowser || doc.Browser != "chromium" || doc.TunnelMode != "userspace" ||
		doc.Proxy != "http://127.0.0.1:48080" || len(m.runs) != 1 || m.runs[0][len(m.runs[0])-1] != oddURL ||
		slices.Index(m.runs[0], oddURL) != len(m.runs[0])-1 {
		t.Fatalf("odd link: %+v ran %q", doc, m.runs)
	}

	// A tunnel link for another application goes to the default handler,
	// with a warning that the proxy does not apply.
	r = m.open("en", "bureau-virtuel")
	if r.code != ExitOK || len(m.runs) != 1 || !slices.Equal(m.runs[0], []string{"xdg-open", "ica://bureau.intra.example.org/Desktop-Secours"}) ||
		!strings.Contains(r.stderr, "does not use the tunnel's local proxy") {
		t.Fatalf("ica link: %+v ran %q", r, m.runs)
	}

	// No browser: the user is told how to set the proxy by hand.
	m.browsers = nil
	r = m.open("fr", "portail-urgence")
	if r.code != ExitUsage || len(m.runs) != 0 || !strings.Contains(r.stderr, "SOCKS5 127.0.0.1:41080") ||
		!strings.Contains(r.stderr, "proxy HTTP 127.0.0.1:48080") {
		t.Fatalf("no browser: %+v ran %q", r, m.runs)
	}
}

func TestOpenDefaultHandler(t *testing.T) {
	t.Parallel()
	m := newOpenMachine(t, true)
	// Direct links need no tunnel.
	for id, url := range map[string]string{
		"consignes-publiques": "https://www.example.org/urgence",
		"cellule-crise":       "msteams:/l/meetup-join/19%3ameeting_exemple%40thread.v2/0",
	} {
		r := m.open("fr", id)
		if r.code != ExitOK || len(m.runs) != 1 || !slices.Equal(m.runs[0], []string{"xdg-open", url}) ||
			!strings.Contains(r.stdout, "application par défaut") {
			t.Fatalf("%s: %+v ran %q", id, r, m.runs)
		}
	}
	// System mode: the routes carry the link, the default handler opens it.
	m.tunnelState(os.Getpid(), time.Now(), `{"mode":"system","up":true,"interface":"relais0","endpoint":"203.0.113.1:51820"}`)
	r := m.open("en", "bizarre")
	if r.code != ExitOK || len(m.runs) != 1 || !slices.Equal(m.runs[0], []string{"xdg-open", oddURL}) ||
		!strings.Contains(r.stdout, "opened with the default application") {
		t.Fatalf("system mode: %+v ran %q", r, m.runs)
	}
}
