package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/profile/profiletest"
	"relais/internal/testenv"
)

// TestMain lets the test binary act as `relais` in a child process, for the
// tests that must kill a real process mid-way.
func TestMain(m *testing.M) {
	if os.Getenv("RELAIS_CLI_CHILD") == "1" {
		os.Exit(Main(context.Background(), strings.Fields(os.Getenv("RELAIS_CLI_ARGS")), OSEnv()))
	}
	// No test may reach the person's own keyring, settings or session bus.
	cleanup, err := testenv.IsolateUserDirs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// machineT is one laptop: its managed configuration, its data directory
// and its locale.
type machineT struct {
	t    *testing.T
	vars map[string]string
	// seams are the backend's test seams every command of this machine
	// runs with (a keyring, a tunnel configuration, …): never a package
	// variable, so that machines run in parallel.
	seams backend.Seams
}

func newMachine(t *testing.T) *machineT {
	dir := t.TempDir()
	return &machineT{t: t, seams: backend.Seams{LimitMemory: func(int64) {}}, vars: map[string]string{
		"RELAIS_HOME":   filepath.Join(dir, "home"),
		"RELAIS_CONFIG": filepath.Join(dir, "relais.toml"),
		"LANG":          "fr_FR.UTF-8",
	}}
}

func (m *machineT) manage(profileURL, profileFile string, keys ...minisign.PublicKey) {
	var ks []string
	for _, k := range keys {
		ks = append(ks, fmt.Sprintf("%q", k.String()))
	}
	cfg := fmt.Sprintf("profile_url = %q\nprofile_file = %q\ntrusted_keys = [%s]\n", profileURL, profileFile, strings.Join(ks, ", "))
	if err := os.WriteFile(m.vars["RELAIS_CONFIG"], []byte(cfg), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func (m *machineT) run(args ...string) result {
	m.t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Env: backend.Env{GOOS: "linux", Home: m.t.TempDir(), Now: time.Now, Seams: m.seams, Getenv: func(k string) string { return m.vars[k] }}}
	code := Main(context.Background(), args, env)
	return result{code, out.String(), errb.String()}
}

func newKey(t *testing.T) (minisign.PublicKey, minisign.PrivateKey) {
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

type shown struct {
	Serial    int64  `json:"serial"`
	Signed    bool   `json:"signed"`
	Signature string `json:"signature"`
	Assets    int    `json:"assets"`
	LastSync  *struct {
		Outcome string `json:"outcome"`
		Code    string `json:"code"`
	} `json:"last_sync"`
}

func (m *machineT) show() shown {
	m.t.Helper()
	r := m.run("profile", "show", "--json")
	var s shown
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		m.t.Fatalf("profile show --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return s
}

func TestProfileSyncAgainstLocalServer(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	_, otherSK := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	m := newMachine(t)
	m.manage(o.URL(), "", pk)

	r := m.run("profile", "sync")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Profil accepté : série 7 (1 ressource") {
		t.Fatalf("first sync: %+v", r)
	}
	if s := m.show(); s.Serial != 7 || !s.Signed || s.Assets != 1 {
		t.Fatalf("after first sync: %+v", s)
	}

	// Second sync: If-None-Match, 304, no asset downloaded again.
	r = m.run("profile", "sync", "--json")
	var doc syncJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitOK {
		t.Fatalf("second sync: %+v %v", r, err)
	}
	if doc.Outcome != "not_modified" || doc.Requests != 1 || doc.AssetsFetched != 0 {
		t.Fatalf("second sync: %+v", doc)
	}
	if o.IfNoneMatch(profiletest.ProfilePath) == "" {
		t.Fatal("second sync sent no If-None-Match")
	}
	if n := o.Hits(profiletest.AssetPath); n != 1 {
		t.Fatalf("asset downloaded %d times, want once", n)
	}

	// Each refusal keeps serial 7 in use, and says why.
	refusals := []struct {
		name, code string
		setup      func()
	}{
		{"lower serial", "rollback", func() { o.Publish(t, sk, 5) }},
		{"bad signature", "untrusted_key", func() {
			body := o.Publish(t, sk, 9)
			o.Set(profiletest.SignaturePath, minisign.Sign(otherSK, body))
		}},
		{"altered byte", "bad_signature", func() {
			body := o.Publish(t, sk, 9)
			o.Set(profiletest.ProfilePath, bytes.Replace(body, []byte("serial = 9"), []byte("serial = 8"), 1))
		}},
		{"asset hash", "asset_mismatch", func() {
			body := o.Publish(t, sk, 9)
			// The profile pins a new image; the server holds another one.
			pin := sha256.Sum256([]byte("the image the team meant"))
			b := sha256Line.ReplaceAll(body, []byte(`sha256 = "`+hex.EncodeToString(pin[:])+`"`))
			o.Set(profiletest.AssetPath, []byte("an image swapped on the server"))
			o.Set(profiletest.ProfilePath, b)
			o.Set(profiletest.SignaturePath, minisign.Sign(sk, b))
		}},
		{"oversized body", "too_large", func() {
			o.Publish(t, sk, 9)
			o.Override(profiletest.ProfilePath, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(w, io.LimitReader(zeroReader{}, 2<<30))
			})
		}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			defer o.Override(profiletest.ProfilePath, nil)
			r := m.run("profile", "sync")
			if r.code != ExitUnhealthy {
				t.Fatalf("exit %d, want 1: %+v", r.code, r)
			}
			if !strings.Contains(r.stderr, "Le dernier profil valide (série 7) reste en usage") {
				t.Errorf("message does not say the last good profile stays: %s", r.stderr)
			}
			s := m.show()
			if s.Serial != 7 || !s.Signed {
				t.Fatalf("profile show after refusal: %+v", s)
			}
			if s.LastSync == nil || s.LastSync.Code != tt.code {
				t.Fatalf("last sync recorded %+v, want code %s", s.LastSync, tt.code)
			}
		})
	}
}

var sha256Line = regexp.MustCompile(`sha256 = "[0-9a-f]{64}"`)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Killing the process while it downloads leaves the last good profile
// readable: the new profile and its assets land in one transaction or not
// at all.
func TestKillDuringSyncKeepsLastGood(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	m := newMachine(t)
	m.manage(o.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("first sync: %+v", r)
	}

	// Serial 8 pins a new asset whose download stalls half-way.
	body := o.Publish(t, sk, 8)
	slow := bytes.Repeat([]byte("relais"), 20000)
	pin := sha256.Sum256(slow)
	body = bytes.Replace(body, []byte(profiletest.AssetPath), []byte("/relais/slow.png"), 1)
	body = sha256Line.ReplaceAll(body, []byte(`sha256 = "`+hex.EncodeToString(pin[:])+`"`))
	o.Set(profiletest.ProfilePath, body)
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, body))
	reached := make(chan struct{}, 1)
	o.Override("/relais/slow.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(slow)))
		w.Write(slow[:len(slow)/2])
		w.(http.Flusher).Flush()
		reached <- struct{}{}
		<-r.Context().Done()
	})

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RELAIS_CLI_CHILD=1", "RELAIS_CLI_ARGS=profile sync",
		"RELAIS_HOME="+m.vars["RELAIS_HOME"], "RELAIS_CONFIG="+m.vars["RELAIS_CONFIG"], "LANG=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the child never reached the asset download:\n%s", out.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s := m.show()
	if s.Serial != 7 || !s.Signed {
		t.Fatalf("after a kill mid-sync: %+v", s)
	}
}

func TestProfileSyncFromBootstrapFile(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	body := o.Publish(t, sk, 7)
	dir := t.TempDir()
	f := filepath.Join(dir, "profile.toml")
	os.WriteFile(f, body, 0o644)
	os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644)
	m := newMachine(t)
	// The URL is unreachable (nothing listens there): the bootstrap serves.
	m.manage("http://127.0.0.1:9/relais/profile.toml", f, pk)
	r := m.run("profile", "sync")
	if r.code != ExitOK || !strings.Contains(r.stderr, "Utilisation de la copie installée") {
		t.Fatalf("bootstrap: %+v", r)
	}
	if s := m.show(); s.Serial != 7 {
		t.Fatalf("after bootstrap: %+v", s)
	}
	// With a good profile cached, an unreachable URL is a failure that keeps it.
	r = m.run("profile", "sync", "--json")
	var doc syncJSON
	json.Unmarshal([]byte(r.stdout), &doc)
	if r.code != ExitUnhealthy || doc.Outcome != "failed" || doc.InUseSerial != 7 {
		t.Fatalf("unreachable: %+v %+v", r, doc)
	}
}

func TestConfigurationErrorsExit2(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := m.run("profile", "sync")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "aucune configuration gérée") || !strings.Contains(r.stderr, "relais demo --headless") {
		t.Fatalf("no managed config: %+v", r)
	}
	os.WriteFile(m.vars["RELAIS_CONFIG"], []byte("trusted_keys = [\"not a key\"]\nprofile_url = \"https://x\"\n"), 0o644)
	if r := m.run("profile", "sync"); r.code != ExitUsage || !strings.Contains(r.stderr, "trusted_keys[0]") {
		t.Fatalf("bad key: %+v", r)
	}
	if r := m.run("profile", "show"); r.code != ExitUsage {
		t.Fatalf("show with a bad key: %+v", r)
	}
	if r := m.run("nonsense"); r.code != ExitUsage || !strings.Contains(r.stderr, "Commande inconnue") {
		t.Fatalf("unknown command: %+v", r)
	}
	if r := m.run("--lang", "de", "version"); r.code != ExitUsage {
		t.Fatalf("--lang de: %+v", r)
	}
}

func TestProfileShowWithoutProfile(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := m.run("profile", "show", "--lang", "en")
	// Without a managed configuration, the message points at the demo.
	if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "relais demo --headless") {
		t.Fatalf("%+v", r)
	}
}

func TestLanguages(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	for _, tt := range []struct {
		lang, want string
	}{
		{"fr_FR.UTF-8", "Usage : relais"},
		{"en_CA.UTF-8", "Usage: relais"},
		{"C", "Usage : relais"}, // C says nothing about the person: French, the default
		{"C.UTF-8", "Usage : relais"},
	} {
		m.vars["LANG"] = tt.lang
		r := m.run("help")
		if !strings.Contains(r.stdout, tt.want) || strings.Contains(strings.ToLower(r.stderr), "locale") {
			t.Errorf("LANG=%s: %+v", tt.lang, r)
		}
	}
	m.vars["LANG"] = "fr_FR.UTF-8"
	if r := m.run("help", "--lang", "en"); !strings.Contains(r.stdout, "Usage: relais") {
		t.Errorf("--lang en: %+v", r)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := m.run("version", "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 || v["version"] == "" || !strings.HasPrefix(fmt.Sprint(v["go"]), "go") || v["schema"] != float64(1) {
		t.Fatalf("%+v %v", r, err)
	}
	if r := m.run("version"); !strings.HasPrefix(r.stdout, "relais ") {
		t.Fatalf("%+v", r)
	}
}

// Every bad profile of the corpus fails lint with exit 1 and its expected
// FILE:LINE: path: message first.
func TestLintCorpus(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.vars["LANG"] = "en_GB.UTF-8" // the expectations are English; TestLintCorpusFrench words them in French
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "profiles", "bad", "*.toml"))
	if len(files) < 20 {
		t.Fatalf("only %d bad profiles", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		first, _, _ := strings.Cut(string(b), "\n")
		want := strings.TrimPrefix(first, "# want: ")
		r := m.run("profile", "lint", f)
		got, _, _ := strings.Cut(r.stderr, "\n")
		if r.code != ExitUnhealthy || got != filepath.Dir(f)+"/"+want {
			t.Errorf("%s: exit %d, first line %q, want %q", f, r.code, got, filepath.Dir(f)+"/"+want)
		}
	}
	example := filepath.Join("..", "..", "testdata", "profiles", "example.toml")
	if r := m.run("profile", "lint", example); r.code != ExitOK {
		t.Fatalf("example: %+v", r)
	}
	if r := m.run("profile", "lint", "--json", files[0]); r.code != ExitUnhealthy || !strings.Contains(r.stdout, `"valid": false`) {
		t.Fatalf("--json: %+v", r)
	}
	if r := m.run("profile", "lint", "/nonexistent.toml"); r.code != ExitUsage {
		t.Fatalf("missing file: %+v", r)
	}
}

// The committed example signature verifies against the committed public key.
func TestVerifyCommittedExample(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	dir := filepath.Join("..", "..", "testdata", "profiles")
	r := m.run("profile", "verify", filepath.Join(dir, "example.toml"), "--trust", filepath.Join("..", "..", "testdata", "keys", "example.pub"))
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
}

// A profile signed by Debian's minisign tool verifies; one changed byte, a
// signature by an untrusted key and a missing signature each exit 1 with a
// clear message.
func TestVerifyWithRealMinisign(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "minisign")
	dir := t.TempDir()
	mk := func(name string) (pub, sec string) {
		pub, sec = filepath.Join(dir, name+".pub"), filepath.Join(dir, name+".key")
		if out, err := exec.Command("minisign", "-G", "-W", "-p", pub, "-s", sec).CombinedOutput(); err != nil {
			t.Fatalf("minisign -G: %v\n%s", err, out)
		}
		return pub, sec
	}
	pub, sec := mk("team")
	_, otherSec := mk("other")
	prof := filepath.Join(dir, "profile.toml")
	os.WriteFile(prof, profiletest.Testdata(t, "profiles", "example.toml"), 0o644)
	if out, err := exec.Command("minisign", "-S", "-s", sec, "-m", prof).CombinedOutput(); err != nil {
		t.Fatalf("minisign -S: %v\n%s", err, out)
	}
	m := newMachine(t)
	if r := m.run("profile", "verify", prof, "--trust", pub); r.code != ExitOK || !strings.Contains(r.stdout, "signature valide") {
		t.Fatalf("good: %+v", r)
	}
	if r := m.run("profile", "verify", "--json", prof, "--trust", pub); r.code != ExitOK || !strings.Contains(r.stdout, `"signed": true`) {
		t.Fatalf("good --json: %+v", r)
	}

	// One changed byte.
	b, _ := os.ReadFile(prof)
	altered := filepath.Join(dir, "altered.toml")
	b2 := bytes.Clone(b)
	b2[len(b2)/2] ^= 0x01
	os.WriteFile(altered, b2, 0o644)
	sig, _ := os.ReadFile(prof + ".minisig")
	os.WriteFile(altered+".minisig", sig, 0o644)
	if r := m.run("profile", "verify", altered, "--trust", pub); r.code != ExitUnhealthy || !strings.Contains(r.stderr, "le fichier a été modifié") {
		t.Fatalf("changed byte: %+v", r)
	}

	// Signed by a key that is not trusted.
	other := filepath.Join(dir, "other.toml")
	os.WriteFile(other, b, 0o644)
	if out, err := exec.Command("minisign", "-S", "-s", otherSec, "-m", other).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if r := m.run("--lang", "en", "profile", "verify", other, "--trust", pub); r.code != ExitUnhealthy || !strings.Contains(r.stderr, "does not trust") {
		t.Fatalf("untrusted key: %+v", r)
	}

	// No signature at all.
	bare := filepath.Join(dir, "bare.toml")
	os.WriteFile(bare, b, 0o644)
	if r := m.run("profile", "verify", bare, "--trust", pub); r.code != ExitUnhealthy || !strings.Contains(r.stderr, "pas signé") {
		t.Fatalf("missing signature: %+v", r)
	}

	// Usage: no --trust.
	if r := m.run("profile", "verify", prof); r.code != ExitUsage {
		t.Fatalf("no --trust: %+v", r)
	}
}

// Every error code has a sentence in both languages.
func TestEveryReasonIsTranslated(t *testing.T) {
	t.Parallel()
	codes := []string{"invalid", "http", "network", "timeout", "other", "disk_full", "corrupt"}
	codes = append(codes, backend.ReasonCodes()...)
	for _, lang := range []string{"fr", "en"} {
		rr := &run{lang: lang}
		for _, c := range codes {
			if msg := rr.t("cli.reason." + c); msg == "cli.reason."+c {
				t.Errorf("%s: no text for reason %s", lang, c)
			}
		}
	}
}

// appWords says err as the app does in lang: a coded error of the backend
// from its key, the app's own sentence (KEY.in_app) winning.
func appWords(lang string, err error) string {
	t := func(key string, args ...any) string {
		if c, e := i18n.Catalog(lang); e == nil && c[key+".in_app"] != "" {
			key += ".in_app"
		}
		return i18n.T(lang, key, args...)
	}
	return frontend.Words(lang, err, t, func(e error) string { return frontend.Describe(lang, e) })
}
