package windows_test

// The Windows paths end to end under wine: the demo (userspace tunnel,
// netstack, checks, store) with the same verdict as the Linux build, the
// WireGuard key in the Credential Manager.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/testenv"
)

var (
	linuxOnce sync.Once
	linuxExe  string
	linuxErr  []byte
)

// buildLinux is the Linux build of the same program (-tags nogui, as the
// command line's own tests run it), once per test binary.
func buildLinux(t *testing.T) string {
	t.Helper()
	exeDirOnce.Do(func() { exeDir, exeDirErr = os.MkdirTemp("", "relais-exe-") })
	if exeDirErr != nil {
		t.Fatal(exeDirErr)
	}
	linuxOnce.Do(func() {
		p := filepath.Join(exeDir, "relais-linux")
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "nogui", "-o", p, ".")
		cmd.Dir = root(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			linuxErr = append([]byte(err.Error()+"\n"), out...)
			return
		}
		linuxExe = p
	})
	if linuxExe == "" {
		t.Fatalf("building the Linux relais: %s", linuxErr)
	}
	return linuxExe
}

// runLinux runs the Linux build with RELAIS_HOME home, within 3 minutes.
func runLinux(t *testing.T, home string, args ...string) wineRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildLinux(t), args...)
	cmd.Env = append(os.Environ(), "RELAIS_HOME="+home, "RELAIS_CONFIG="+filepath.Join(home, "no-managed.toml"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil || cmd.ProcessState == nil {
		t.Fatalf("relais %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return wineRun{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// demoVerdict is what must be the same on Linux and under wine: the exit
// code, each app's state, whether the demo went as designed, the tunnel
// and the profile — not timings.
type demoVerdict struct {
	Code       int
	AsDesigned bool
	Apps       map[string]string // id: state
	TunnelUp   bool
	TunnelMode string
	Signed     bool
}

func parseDemo(t *testing.T, where string, r wineRun) demoVerdict {
	t.Helper()
	var doc struct {
		AsDesigned bool `json:"as_designed"`
		Profile    struct {
			Signed bool `json:"signed"`
		} `json:"profile"`
		Tunnel struct {
			Mode string `json:"mode"`
			Up   bool   `json:"up"`
		} `json:"tunnel"`
		Apps []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"apps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%s: demo --headless --json: exit %d, %v\nstdout:\n%s\nstderr:\n%s", where, r.code, err, r.stdout, r.stderr)
	}
	v := demoVerdict{Code: r.code, AsDesigned: doc.AsDesigned, Apps: map[string]string{}, TunnelUp: doc.Tunnel.Up, TunnelMode: doc.Tunnel.Mode, Signed: doc.Profile.Signed}
	for _, a := range doc.Apps {
		v.Apps[a.ID] = a.State
	}
	return v
}

// lastLine is the text output's last line: the demo's verdict.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// The Linux build's verdict, once per test binary (it does not change).
var (
	linuxDemoOnce sync.Once
	linuxDemo     demoVerdict
	linuxLine     string
)

func linuxDemoVerdict(t *testing.T) (demoVerdict, string) {
	t.Helper()
	linuxDemoOnce.Do(func() {
		home := t.TempDir()
		linuxDemo = parseDemo(t, "Linux", runLinux(t, home, "demo", "--headless", "--json", "--lang", "en"))
		r := runLinux(t, home, "demo", "--headless", "--lang", "en")
		linuxLine = lastLine(r.stdout)
		if r.code != linuxDemo.Code {
			t.Fatalf("Linux demo: exit %d in text, %d in JSON", r.code, linuxDemo.Code)
		}
	})
	if linuxDemo.Apps == nil {
		t.Fatal("the Linux demo did not run")
	}
	return linuxDemo, linuxLine
}

// netresetMissing is how a Go program's UDP socket fails under a Wine
// without SIO_UDP_NETRESET (see testdata/wine-workarounds.c).
func netresetMissing(r wineRun) bool {
	return r.code != 0 && strings.Contains(r.stderr, "wsaioctl") && strings.Contains(r.stderr, "10045")
}

const netresetReason = "this Wine does not implement the SIO_UDP_NETRESET ioctl (WSAIoctl fails with WSAEOPNOTSUPP, winapi error #10045), " +
	"which Go >= 1.23's net package sets on every UDP socket, so relais.exe cannot open the WireGuard tunnel's UDP socket here; " +
	"the test's workaround (testdata/wine-workarounds.c) is installed only with the bcryptprimitives.dll stand-in, which this Wine does not need"

// relais.exe demo --headless under wine runs the whole Windows path — the
// store in C:\, the demo office, the userspace WireGuard tunnel and its
// netstack, the checks — and ends as the Linux build does: same exit code,
// same verdict line, same state for each app.
func TestDemoUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exe := buildExe(t)
	want, wantLine := linuxDemoVerdict(t)
	t.Logf("Linux: %+v, %q", want, wantLine)
	if want.Code != 0 || !want.AsDesigned {
		t.Fatalf("the Linux demo itself did not go as designed: %+v", want)
	}

	home := freshHome(t)
	r := runWine(t, []string{"RELAIS_HOME=" + home}, exe, "demo", "--headless", "--json", "--lang", "en")
	if netresetMissing(r) {
		t.Skipf("skipped: %s\n%s", netresetReason, r.stderr)
	}
	got := parseDemo(t, "wine", r)
	if got.Code != want.Code || got.AsDesigned != want.AsDesigned || !got.TunnelUp || got.TunnelMode != want.TunnelMode || got.Signed != want.Signed {
		t.Errorf("under wine: %+v\nLinux: %+v\nstderr:\n%s", got, want, r.stderr)
	}
	for id, state := range want.Apps {
		if got.Apps[id] != state {
			t.Errorf("app %s: %q under wine, %q on Linux", id, got.Apps[id], state)
		}
	}
	if len(got.Apps) != len(want.Apps) {
		t.Errorf("apps under wine %v, on Linux %v", got.Apps, want.Apps)
	}

	// The text: the same verdict line, in English and (the default) French.
	r = runWine(t, []string{"RELAIS_HOME=" + home}, exe, "demo", "--headless", "--lang", "en")
	if r.code != want.Code || lastLine(r.stdout) != wantLine {
		t.Errorf("under wine: exit %d, verdict %q; Linux: exit %d, %q\n%s\n%s", r.code, lastLine(r.stdout), want.Code, wantLine, r.stdout, r.stderr)
	}
	r = runWine(t, []string{"RELAIS_HOME=" + home}, exe, "demo", "--headless")
	if r.code != 0 || !strings.Contains(r.stdout, "La démonstration s'est déroulée comme prévu") || !strings.Contains(r.stderr, "Tunnel ouvert sans droits d'administrateur") {
		t.Errorf("under wine, in French: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("relais.exe demo --headless under wine:\n%s", r.stdout)
}

// Without the test's SIO_UDP_NETRESET workaround, the demo gets past the
// store (it used to stop there: "chmod …relais.db-shm: Sharing violation")
// and stops only where Wine lacks the ioctl — or runs, on a Wine that has it.
func TestDemoUnderWineWithoutNetresetWorkaround(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exe := buildExe(t)
	r := runWine(t, []string{"RELAIS_HOME=" + freshHome(t), "RELAIS_WINE_NO_NETRESET=1"}, exe, "demo", "--headless", "--lang", "en")
	switch {
	case netresetMissing(r):
		t.Logf("as expected on this Wine, the UDP socket fails:\n%s", r.stderr)
	case r.code == 0:
		t.Logf("this Wine has SIO_UDP_NETRESET: the demo runs without the workaround")
	default:
		t.Errorf("demo --headless without the workaround: exit %d, neither a success nor the missing ioctl\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range []string{"Sharing violation", "local database", "chmod"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("the store failed under wine (%q):\n%s", bad, r.stderr)
		}
	}
}

// wireguardKey is a WireGuard key as base64 (32 bytes).
var wireguardKey = regexp.MustCompile(`[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=`)

// The Credential Manager entry go-keyring's wincred writes, as Wine keeps
// it in the registry.
const credKey = `HKCU\Software\Wine\Credential Manager\Generic: org.relais.Relais:wireguard-private-key`

// relais.exe key generate then key show under wine: the private key goes
// to the Credential Manager (go-keyring's wincred, which Wine implements)
// and nowhere else, both print the same public key, and no other key is
// ever printed.
func TestKeyUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exe := buildExe(t)
	runWine(t, nil, "reg", "delete", credKey, "/f") // absent is fine
	home := freshHome(t)
	env := []string{"RELAIS_HOME=" + home}

	gen := runWine(t, env, exe, "key", "generate", "--json", "--lang", "en")
	var id struct {
		PublicKey string `json:"public_key"`
		Source    string `json:"source"`
	}
	if err := json.Unmarshal([]byte(gen.stdout), &id); gen.code != 0 || err != nil || !wireguardKey.MatchString(id.PublicKey) {
		t.Fatalf("key generate under wine: exit %d, %v\n%s\n%s", gen.code, err, gen.stdout, gen.stderr)
	}
	if q := runWine(t, nil, "reg", "query", credKey); q.code != 0 || !strings.Contains(q.stdout, "wireguard-private-key") {
		t.Errorf("no Credential Manager entry after key generate: exit %d\n%s\n%s", q.code, q.stdout, q.stderr)
	}

	show := runWine(t, env, exe, "key", "show", "--json", "--lang", "en")
	var doc struct {
		Identity struct {
			PublicKey string `json:"public_key"`
		} `json:"identity"`
		Keyring string `json:"keyring"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &doc); show.code != 0 || err != nil {
		t.Fatalf("key show under wine: exit %d, %v\n%s\n%s", show.code, err, show.stdout, show.stderr)
	}
	if doc.Identity.PublicKey != id.PublicKey || doc.Keyring != "present" {
		t.Errorf("key show: public key %q, keyring %q; key generate said %q", doc.Identity.PublicKey, doc.Keyring, id.PublicKey)
	}
	text := runWine(t, env, exe, "key", "show", "--lang", "en")
	if text.code != 0 || !strings.Contains(text.stdout, "Public key: "+id.PublicKey) || !strings.Contains(text.stdout, "Private key: in the system keyring") {
		t.Errorf("key show (text) under wine: exit %d\n%s\n%s", text.code, text.stdout, text.stderr)
	}

	// Nothing secret printed: the only key anywhere in the output is the
	// public one.
	for _, r := range []wineRun{gen, show, text} {
		for _, k := range wireguardKey.FindAllString(r.stdout+r.stderr, -1) {
			if k != id.PublicKey {
				t.Errorf("a key other than the public one was printed: %s", k)
			}
		}
	}
	if keys := wireguardKey.FindAllString(gen.stdout+show.stdout+text.stdout, -1); !slices.Contains(keys, id.PublicKey) {
		t.Errorf("the public key was never printed: %v", keys)
	}

	// The Credential Manager holds the private key of that public key,
	// and it is in no file under RELAIS_HOME (the store) and in nothing
	// relais.exe printed (testdata/credcheck, which never prints it).
	check := filepath.Join(t.TempDir(), "credcheck.exe")
	build := exec.Command("go", "build", "-o", check, "./installer/windows/testdata/credcheck")
	build.Dir = root(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building credcheck.exe: %v\n%s", err, out)
	}
	var printed strings.Builder
	for _, r := range []wineRun{gen, show, text} {
		printed.WriteString(r.stdout + r.stderr)
	}
	cc, err := tryWineInput(t, printed.String(), nil, check, home)
	if err != nil {
		t.Fatal(err)
	}
	if cc.code != 0 || !strings.Contains(cc.stdout, "public "+id.PublicKey+"\n") || strings.Contains(cc.stdout, "found ") || !strings.Contains(cc.stdout, "checked ") || strings.Contains(cc.stdout, "checked 0\n") {
		t.Errorf("credcheck.exe (want the Credential Manager's key to be the shown public key's, and found nowhere): exit %d\n%s\n%s", cc.code, cc.stdout, cc.stderr)
	}
	t.Logf("credcheck.exe: %s", strings.ReplaceAll(strings.TrimSpace(cc.stdout), "\n", "; "))
}
