//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/secrets"
	"relais/internal/testenv"
)

// pskSessionEnv names the file of parameters of the half of TestPSKRealOffice
// that runs inside dbus-run-session.
const pskSessionEnv = "RELAIS_E2E_PSK_SESSION"

type pskSessionParams struct {
	Socket  string `json:"socket"`
	Managed string `json:"managed"`
	Conf    string `json:"conf"`
	PSK     string `json:"psk"` // base64, to look for it where it must not be
	Bus     string `json:"bus"` // the private session bus's address
}

// A wg-quick file from IT with a PresharedKey, against Debian's
// wireguard-go that requires that preshared key: `relais key import` keeps
// it in the OS keyring (gnome-keyring on a private session bus), and
// `relais check` brings the tunnel up with it and reaches the office, in
// userspace mode and in system mode (through the helper). Without the
// preshared key, the office never answers the handshake. The preshared key
// is in no file under RELAIS_HOME and in no output.
func TestPSKRealOffice(t *testing.T) {
	if f := os.Getenv(pskSessionEnv); f != "" {
		pskSession(t, f)
		return
	}
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "dbus-run-session", "gnome-keyring-daemon", "wireguard-go", "wg", "ip")
	l := newLab(t, true)

	psk, err := wgtypes.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pskFile := filepath.Join(l.dir, "office.psk")
	if err := os.WriteFile(pskFile, []byte(psk.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "exec", l.office, "wg", "set", l.officeWG,
		"peer", l.clientKey.PublicKey().String(), "preshared-key", pskFile).CombinedOutput(); err != nil {
		t.Fatalf("wg set preshared-key: %v: %s", err, out)
	}

	data, sig := l.profile(1, nil)
	profileFile := filepath.Join(l.dir, "profile.toml")
	if err := os.WriteFile(profileFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(profileFile+".minisig", sig, 0o644); err != nil {
		t.Fatal(err)
	}
	managed, err := os.ReadFile(l.managedPath())
	if err != nil {
		t.Fatal(err)
	}
	managed = append(managed, fmt.Sprintf("profile_file = %q\n", profileFile)...)
	if err := os.WriteFile(l.managedPath(), managed, 0o644); err != nil {
		t.Fatal(err)
	}
	h := l.startHelper("users")

	conf := filepath.Join(l.dir, "client.conf")
	confText := fmt.Sprintf("[Interface]\nPrivateKey = %s\nAddress = %s/32\n\n[Peer]\nPublicKey = %s\nPresharedKey = %s\nEndpoint = %s:%d\nAllowedIPs = 10.99.0.0/24, 10.98.5.0/25\nPersistentKeepalive = 25\n",
		l.clientKey.String(), clientTunnel, l.officeKey.PublicKey().String(), psk.String(), officeVeth, wgPort)
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}
	busDir := filepath.Join(l.dir, "bus")
	if err := os.Mkdir(busDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// The bus at a known path: the inner half sets its address itself, so
	// that it does not depend on the environment surviving TestMain.
	busConf := filepath.Join(busDir, "bus.conf")
	conf4bus := strings.ReplaceAll(cliBusConfig, "<listen>unix:dir=%DIR%</listen>", "<listen>unix:path="+filepath.Join(busDir, "socket")+"</listen>")
	if err := os.WriteFile(busConf, []byte(conf4bus), 0o600); err != nil {
		t.Fatal(err)
	}
	params, _ := json.Marshal(pskSessionParams{Socket: l.socket(), Managed: l.managedPath(), Conf: conf, PSK: psk.String(),
		Bus: "unix:path=" + filepath.Join(busDir, "socket")})
	paramFile := filepath.Join(l.dir, "psk-session.json")
	if err := os.WriteFile(paramFile, params, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.client, "dbus-run-session", "--config-file="+busConf, "--",
		testBinary(t), "-test.run=^TestPSKRealOffice$", "-test.v", "-test.count=1")
	cmd.Env = append(withoutVar(os.Environ(), "DBUS_SESSION_BUS_ADDRESS"), pskSessionEnv+"="+paramFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	t.Logf("inside ip netns exec %s dbus-run-session:\n%s", l.client, out)
	if err != nil {
		t.Fatalf("the session inside dbus-run-session failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestPSKRealOffice") {
		t.Fatal("the session inside dbus-run-session did not pass (skipped?)")
	}
	h.stop(5 * time.Second)
	if log := h.output(); strings.Contains(log, psk.String()) || l.holdsKey(log) {
		t.Errorf("the helper's log shows a key:\n%s", log)
	}
}

// pskSession is the test proper: in the client namespace, on the private
// session bus.
func pskSession(t *testing.T, file string) {
	var p pskSessionParams
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", p.Bus)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svc := testenv.StartKeyring(t, dir)
	kenv := svc.Env
	kr := secrets.Timeout(secrets.OSKeyring(), 5*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := kr.Get(secrets.Service, secrets.User)
		if errors.Is(err, secrets.ErrNotFound) {
			break
		}
		if err == nil {
			t.Fatal("a fresh keyring already holds a Relais key")
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Secret Service never answered: %v\n%s", err, svc.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}

	relaisHome := filepath.Join(dir, "relais-home")
	env := append(os.Environ(), kenv...)
	env = append(env, roleEnv+"=relais", "RELAIS_HOME="+relaisHome, "RELAIS_CONFIG="+p.Managed,
		"RELAIS_HELPER_SOCKET="+p.Socket, "LANG=en_GB.UTF-8")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var outputs []string
	relais := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, self, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		outputs = append(outputs, string(out))
		code := 0
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			code = exit.ExitCode()
		case err != nil:
			t.Fatalf("relais %s: %v", strings.Join(args, " "), err)
		}
		if code != want {
			t.Fatalf("relais %s: exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		t.Logf("relais %s → exit %d:\n%s", strings.Join(args, " "), code, out)
		return string(out)
	}

	relais(0, "profile", "sync")
	relais(0, "key", "import", p.Conf)
	// The preshared key makes the handshake: without it, the office never
	// answers and no check passes.
	relais(0, "check", "--mode", "userspace")
	relais(0, "check", "--mode", "system")
	if got, err := kr.Get(secrets.Service, secrets.PresharedUser); err != nil || got != p.PSK {
		t.Errorf("the keyring does not hold the imported preshared key (%v)", err)
	}

	for _, o := range outputs {
		if strings.Contains(o, p.PSK) {
			t.Errorf("an output shows the preshared key:\n%s", o)
		}
	}
	pskHex := hexKey(t, p.PSK)
	_ = filepath.WalkDir(relaisHome, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && (bytes.Contains(b, []byte(p.PSK)) || bytes.Contains(b, []byte(pskHex))) {
			t.Errorf("%s holds the preshared key", path)
		}
		return nil
	})
}

func hexKey(t *testing.T, b64 string) string {
	k, err := wgtypes.ParseKey(b64)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", k[:])
}
