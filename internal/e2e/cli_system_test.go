package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/secrets"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// cliSessionEnv names the file of parameters of the half of
// TestCLISystemMode that runs inside dbus-run-session.
const cliSessionEnv = "RELAIS_E2E_CLI_SESSION"

// cliBusConfig is a private session bus without service activation: a
// Secret Service call made before our gnome-keyring-daemon is ready fails
// instead of starting a second, locked daemon.
const cliBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%DIR%</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// cliSessionParams is what the outer half hands the inner one.
type cliSessionParams struct {
	Iface      string `json:"iface"`
	Socket     string `json:"socket"`
	Managed    string `json:"managed"`
	Conf       string `json:"conf"`
	PrivateKey string `json:"private_key"` // the client's, to check the keyring and the outputs
	OfficeKey  string `json:"office_key"`  // the office's public key
}

// `relais up --mode system` as a whole CLI process, against Debian's
// wireguard-go: inside the client namespace and one dbus-run-session with
// gnome-keyring-daemon unlocked, each command is its own process (this
// binary as relais): profile sync from the bootstrap file, key import of a
// wg-quick file into the keyring, then up in the background; wg(8) sees a
// handshake on the helper's interface, curl with no proxy reaches the
// office, relais status reads the tunnel up in system mode; SIGINT brings
// it down, exit 0, the interface gone.
func TestCLISystemMode(t *testing.T) {
	if f := os.Getenv(cliSessionEnv); f != "" {
		cliSession(t, f)
		return
	}
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "dbus-run-session", "gnome-keyring-daemon", "wireguard-go", "wg", "curl", "ip")
	l := newLab(t, true)

	// The signed profile on disk, as the package ships it, and the
	// managed configuration pointing at it (before the helper reads it).
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

	// The wg-quick file IT would hand out for this device.
	conf := filepath.Join(l.dir, "client.conf")
	confText := fmt.Sprintf("[Interface]\nPrivateKey = %s\nAddress = %s/32\n\n[Peer]\nPublicKey = %s\nEndpoint = %s:%d\nAllowedIPs = 10.99.0.0/24, 10.98.5.0/25\nPersistentKeepalive = 25\n",
		l.clientKey.String(), clientTunnel, l.officeKey.PublicKey().String(), officeVeth, wgPort)
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}
	params, _ := json.Marshal(cliSessionParams{Iface: l.iface, Socket: l.socket(), Managed: l.managedPath(), Conf: conf,
		PrivateKey: l.clientKey.String(), OfficeKey: l.officeKey.PublicKey().String()})
	paramFile := filepath.Join(l.dir, "cli-session.json")
	if err := os.WriteFile(paramFile, params, 0o600); err != nil {
		t.Fatal(err)
	}
	busDir := filepath.Join(l.dir, "bus")
	if err := os.Mkdir(busDir, 0o700); err != nil {
		t.Fatal(err)
	}
	busConf := filepath.Join(busDir, "bus.conf")
	if err := os.WriteFile(busConf, []byte(strings.ReplaceAll(cliBusConfig, "%DIR%", busDir)), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.client, "dbus-run-session", "--config-file="+busConf, "--",
		testBinary(t), "-test.run=^TestCLISystemMode$", "-test.v", "-test.count=1")
	cmd.Env = append(withoutVar(os.Environ(), "DBUS_SESSION_BUS_ADDRESS"), cliSessionEnv+"="+paramFile)
	// Its own process group: on a timeout every process of the session
	// goes, not only dbus-run-session.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything left behind
	t.Logf("inside ip netns exec %s dbus-run-session:\n%s", l.client, out)
	if err != nil {
		t.Fatalf("the session inside dbus-run-session failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestCLISystemMode") {
		t.Fatal("the session inside dbus-run-session did not pass (skipped?)")
	}

	if exec.Command("ip", "-n", l.client, "link", "show", l.iface).Run() == nil {
		t.Errorf("interface %s still exists after relais up exited", l.iface)
	}
	if b, _ := os.ReadFile(l.resolvConf()); string(b) != originalResolvConf {
		t.Errorf("resolv.conf after down: %q", b)
	}
	h.stop(5 * time.Second)
	if log := h.output(); l.holdsKey(log) {
		t.Errorf("the helper's log shows the private key:\n%s", log)
	} else {
		t.Logf("relais helper's log:\n%s", log)
	}
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// cliRun is one finished `relais` process.
type cliRun struct {
	args           string
	code           int
	stdout, stderr string
}

// cliSession is the test proper: in the client namespace, on the private
// session bus.
func cliSession(t *testing.T, file string) {
	var p cliSessionParams
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus inside dbus-run-session")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svc := testenv.StartKeyring(t, dir)
	kenv := svc.Env
	vault := secrets.Vault{Keyring: secrets.Timeout(secrets.OSKeyring(), 5*time.Second)}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := vault.PrivateKey()
		if errors.Is(err, secrets.ErrNoKey) {
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

	env := append(os.Environ(), kenv...)
	env = append(env, roleEnv+"=relais", "RELAIS_HOME="+filepath.Join(dir, "relais-home"), "RELAIS_CONFIG="+p.Managed,
		"RELAIS_HELPER_SOCKET="+p.Socket, "LANG=en_GB.UTF-8")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var runs []cliRun
	relais := func(want int, args ...string) cliRun {
		t.Helper()
		cmd := exec.CommandContext(ctx, self, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := cliRun{args: strings.Join(args, " "), stdout: out.String(), stderr: errb.String()}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			r.code = exit.ExitCode()
		case err != nil:
			t.Fatalf("relais %s: %v", r.args, err)
		}
		runs = append(runs, r)
		if want >= 0 && r.code != want {
			t.Fatalf("relais %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.args, r.code, want, r.stdout, r.stderr)
		}
		return r
	}

	// 1. The bootstrap profile, checked against the managed trusted key.
	r := relais(0, "profile", "sync")
	t.Logf("relais profile sync → exit 0: %s", strings.TrimSpace(r.stderr+r.stdout))
	// 2. The device identity: the key into the keyring, the address into the store.
	r = relais(0, "key", "import", p.Conf)
	t.Logf("relais key import client.conf → exit 0: %s", strings.TrimSpace(r.stderr+r.stdout))
	if k, err := vault.PrivateKey(); err != nil || k.String() != p.PrivateKey {
		t.Fatalf("the Secret Service does not hold the imported key: %v", err)
	}

	// 3. relais up, in the background.
	up := startUp(t, ctx, self, env)
	var st tunnel.Status
	select {
	case res := <-up.first:
		if res.err != nil {
			t.Fatalf("relais up --mode system --json: %v\n%s", res.err, up.p.output())
		}
		st = res.st
	case <-up.p.exited:
		t.Fatalf("relais up exited (%v) before printing its status:\n%s", up.p.exitErr, up.p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("relais up printed nothing in 30s:\n%s", up.p.output())
	}
	t.Logf("relais up --mode system --json → mode=%s up=%v interface=%s endpoint=%s addresses=%v",
		st.Mode, st.Up, st.Interface, st.Endpoint, st.Addresses)
	if st.Mode != tunnel.ModeSystem || !st.Up || st.Interface != p.Iface {
		t.Fatalf("relais up: %+v", st)
	}

	// 4. While it runs: the office by address with no proxy, the handshake
	// as wg(8) reads it, the status as another relais process reads it.
	out, err := exec.Command("curl", "--noproxy", "*", "-sS", "--max-time", "10", "http://"+officeTunnel+":8080/").CombinedOutput()
	if err != nil || string(out) != officePage {
		t.Fatalf("curl http://%s:8080/: %v: %q", officeTunnel, err, out)
	}
	t.Logf("curl --noproxy '*' http://%s:8080/ → %q", officeTunnel, out)
	out, err = exec.Command("wg", "show", p.Iface, "latest-handshakes").CombinedOutput()
	f := strings.Fields(string(out))
	if err != nil || len(f) != 2 || f[0] != p.OfficeKey {
		t.Fatalf("wg show %s latest-handshakes: %v: %q", p.Iface, err, out)
	}
	sec, _ := strconv.ParseInt(f[1], 10, 64)
	if age := time.Since(time.Unix(sec, 0)); sec == 0 || age > time.Minute {
		t.Fatalf("no recent handshake: %q (age %v)", out, age)
	}
	t.Logf("wg show %s latest-handshakes → %s", p.Iface, strings.TrimSpace(string(out)))

	var doc struct {
		Tunnel *struct {
			tunnel.Status
			PID               int      `json:"pid"`
			Stale             bool     `json:"stale"`
			LastHandshakeAgeS *float64 `json:"last_handshake_age_s"`
		} `json:"tunnel"`
		Profile *struct {
			Serial    int64  `json:"serial"`
			Signature string `json:"signature"`
		} `json:"profile"`
		Engine *struct {
			Phase string `json:"phase"`
		} `json:"engine"`
	}
	var sr cliRun
	deadline = time.Now().Add(10 * time.Second)
	for {
		sr = relais(-1, "status", "--json")
		doc.Tunnel, doc.Profile, doc.Engine = nil, nil, nil
		if err := json.Unmarshal([]byte(sr.stdout), &doc); err != nil {
			t.Fatalf("relais status --json: %v\n%s", err, sr.stdout)
		}
		tn := doc.Tunnel
		if sr.code == 0 && tn != nil && tn.Up && !tn.Stale && tn.LastHandshakeAgeS != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("relais status --json: exit %d, the tunnel is not up with a handshake:\n%s%s", sr.code, sr.stdout, sr.stderr)
		}
		time.Sleep(250 * time.Millisecond)
	}
	tn := doc.Tunnel
	if tn.Mode != tunnel.ModeSystem || tn.Interface != p.Iface || tn.PID != up.p.cmd.Process.Pid {
		t.Errorf("relais status --json: mode %s interface %s pid %d (relais up is %d)", tn.Mode, tn.Interface, tn.PID, up.p.cmd.Process.Pid)
	}
	if doc.Profile == nil || doc.Profile.Signature != "valid" || doc.Profile.Serial != 1 {
		t.Errorf("relais status --json: profile %+v", doc.Profile)
	}
	phase := ""
	if doc.Engine != nil {
		phase = doc.Engine.Phase
	}
	t.Logf("relais status --json → exit 0: tunnel up=%v mode=%s interface=%s pid=%d stale=%v handshake %.1fs ago rx=%d tx=%d; engine %s",
		tn.Up, tn.Mode, tn.Interface, tn.PID, tn.Stale, *tn.LastHandshakeAgeS, tn.RxBytes, tn.TxBytes, phase)

	// 5. SIGINT: relais up brings the tunnel down and exits 0.
	if err := up.p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := up.p.wait(15 * time.Second); err != nil {
		t.Fatalf("relais up after SIGINT: %v\n%s", err, up.p.output())
	}
	t.Logf("relais up after SIGINT → exit 0")
	waitUntil(t, "the interface to go", 5*time.Second, func() bool {
		return exec.Command("ip", "link", "show", p.Iface).Run() != nil
	})
	t.Logf("ip link show %s → gone", p.Iface)
	sr = relais(1, "status", "--json")
	doc.Tunnel = nil
	if err := json.Unmarshal([]byte(sr.stdout), &doc); err != nil || doc.Tunnel != nil {
		t.Errorf("relais status --json after down: %v\n%s", err, sr.stdout)
	}

	// The private key is in the keyring only: in no output of any command.
	upOut := up.p.output()
	runs = append(runs, cliRun{args: "up --mode system --json", stdout: upOut})
	for _, r := range runs {
		if strings.Contains(r.stdout+r.stderr, p.PrivateKey) {
			t.Errorf("relais %s printed the private key", r.args)
		}
	}
	t.Logf("relais up's output:\n%s", upOut)
}

// upProc is `relais up --mode system --json` running in the background.
type upProc struct {
	p     *proc
	first chan upFirst // its first JSON document on stdout
}

type upFirst struct {
	st  tunnel.Status
	err error
}

func startUp(t *testing.T, ctx context.Context, self string, env []string) *upProc {
	t.Helper()
	cmd := exec.CommandContext(ctx, self, "up", "--mode", "system", "--json")
	cmd.Env = env
	u := &upProc{p: &proc{name: "relais up", cmd: cmd, exited: make(chan struct{})}, first: make(chan upFirst, 1)}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = (*lockedWriter)(u.p)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		tee := io.TeeReader(stdout, (*lockedWriter)(u.p))
		var st tunnel.Status
		err := json.NewDecoder(tee).Decode(&st)
		u.first <- upFirst{st, err}
		_, _ = io.Copy(io.Discard, tee)
		u.p.exitErr = cmd.Wait()
		close(u.p.exited)
	}()
	t.Cleanup(func() {
		u.p.stop(5 * time.Second)
		if t.Failed() {
			t.Logf("--- relais up output:\n%s", u.p.output())
		}
	})
	return u
}
