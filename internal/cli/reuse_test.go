package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"relais/internal/backend"
	"relais/internal/instance"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// A child process of these tests (RELAIS_CLI_CHILD=1 with
// RELAIS_TEST_CLIENT_KEY) is `relais` as main runs it, SIGINT and SIGTERM
// included, but without a keyring: the device identity is the demo
// office's client key, handed over in RELAIS_TEST_CLIENT_KEY (a key made
// by the office of this test, never a real one).
func init() {
	if os.Getenv("RELAIS_CLI_CHILD") != "1" || os.Getenv("RELAIS_TEST_CLIENT_KEY") == "" {
		return
	}
	k, err := tunnel.ParseKey(os.Getenv("RELAIS_TEST_CLIENT_KEY"))
	if err != nil {
		panic(err)
	}
	env := OSEnv()
	env.Seams.TunnelConfig = func(_ context.Context, _ *backend.Machine, p *profile.Profile) (tunnel.Config, error) {
		return tunnel.FromProfile(p.Tunnel, k, nil)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, strings.Fields(os.Getenv("RELAIS_CLI_ARGS")), env)
	stop()
	os.Exit(code)
}

// upChild is `relais up` running in its own process.
type upChild struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	code   int
}

// reuseMachine is an organisation's machine against a demo office whose
// essential apps are healthy, its profile synced; keyEnv gives its child
// processes the office's client key.
func reuseMachine(t *testing.T) (o *office.Office, m *machineT, keyEnv []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{HealthyEssentialsOnly: true, SlowDelay: 900 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	m = newMachine(t)
	m.manage(o.ProfileURL, "", o.TrustedKey)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("sync: %+v", r)
	}
	return o, m, []string{"RELAIS_TEST_CLIENT_KEY=" + o.ClientKey.String()}
}

// startUp starts `relais up ARGS` in its own process and waits until
// `relais status` shows its tunnel up with its SOCKS5 proxy.
func (m *machineT) startUp(keyEnv []string, args ...string) (*upChild, tunnel.Status) {
	m.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RELAIS_CLI_CHILD=1", "RELAIS_CLI_ARGS="+strings.Join(append([]string{"up"}, args...), " "),
		"RELAIS_HOME="+m.vars["RELAIS_HOME"], "RELAIS_CONFIG="+m.vars["RELAIS_CONFIG"], "LANG="+m.vars["LANG"])
	cmd.Env = append(cmd.Env, keyEnv...)
	u := &upChild{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, u.stderr
	if err := cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		u.code = cmd.ProcessState.ExitCode()
		close(u.done)
	}()
	m.t.Cleanup(func() { cmd.Process.Kill(); <-u.done })
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, doc := m.status()
		if code == ExitOK && doc.Tunnel != nil && doc.Tunnel.SOCKS5 != "" {
			return u, doc.Tunnel.Status
		}
		select {
		case <-u.done:
			m.t.Fatalf("relais up exited %d:\n%s", u.code, u.stderr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("relais up never recorded its tunnel up: %+v\n%s", doc, u.stderr)
		}
	}
}

// stop ends `relais up` as Ctrl+C does and returns its exit code.
func (u *upChild) stop(t *testing.T) int {
	t.Helper()
	u.cmd.Process.Signal(os.Interrupt)
	select {
	case <-u.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("relais up did not stop:\n%s", u.stderr)
	}
	return u.code
}

// traffic uses the tunnel as another program would, through the SOCKS5
// proxy of `relais up`, one request every 100 ms, and counts what failed.
type traffic struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	stop       chan struct{}
	done       chan struct{}
}

func startTraffic(t *testing.T, socks string) *traffic {
	d, err := proxy.SOCKS5("tcp", socks, nil, &net.Dialer{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: d.(proxy.ContextDialer).DialContext, DisableKeepAlives: true}}
	tr := &traffic{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		for {
			resp, err := c.Get("http://paie.intra/sante")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			if err != nil {
				tr.failed.Add(1)
				tr.mu.Lock()
				tr.errs = append(tr.errs, time.Now().Format("15:04:05.000")+" "+err.Error())
				tr.mu.Unlock()
			} else {
				tr.ok.Add(1)
			}
			select {
			case <-tr.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return tr
}

func (tr *traffic) end() (ok, failed int64, errs []string) {
	close(tr.stop)
	<-tr.done
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.ok.Load(), tr.failed.Load(), tr.errs
}

// One key, one tunnel: `relais check` while `relais up` runs (two
// processes, one device key) reuses the tunnel of `relais up` through its
// SOCKS5 proxy instead of bringing up a second peer with the same key,
// which took the gateway's endpoint away from `relais up` and cut its
// traffic for seconds while the check said ok. The traffic of `relais up`
// never fails, during the check or after it, and the check still sees the
// office as it is.
func TestCheckReusesTheTunnelOfUp(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short mode")
	}
	_, m, keyEnv := reuseMachine(t)
	up, st := m.startUp(keyEnv, "--mode", "userspace")
	tr := startTraffic(t, st.SOCKS5)
	time.Sleep(500 * time.Millisecond) // traffic flows before the check

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 2 {
		res := m.child(ctx, keyEnv, "check", "--json", "--mode", "userspace")
		if res.code != ExitOK {
			t.Fatalf("check %d: exit %d, want 0 (the essential apps are healthy)\n%s\n%s", i, res.code, res.stdout, res.stderr)
		}
		var doc cliCheckDoc
		if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
			t.Fatalf("%v\n%s", err, res.stdout)
		}
		if !doc.Tunnel.Up || doc.Tunnel.Mode != string(tunnel.ModeUserspace) || doc.Tunnel.LastHandshakeAgeS == nil {
			t.Errorf("check %d: tunnel %+v, want the tunnel of relais up (userspace, up, a handshake)", i, doc.Tunnel)
		}
		for _, a := range doc.Apps {
			for _, c := range a.Checks {
				if c.Type == "dns" && c.State != "ok" {
					t.Errorf("check %d: dns check %s through the reused tunnel: %s", i, c.ID, c.State)
				}
			}
		}
	}
	// A second peer with the same key kept the gateway's endpoint until
	// the first one's next handshake: watch a few seconds after the check.
	time.Sleep(3 * time.Second)
	ok, failed, errs := tr.end()
	if failed > 0 || ok == 0 {
		t.Errorf("the traffic of relais up through its proxy: %d ok, %d failed during and after the checks:\n%s", ok, failed, strings.Join(errs, "\n"))
	}
	if code, doc := m.status(); code != ExitOK || doc.Tunnel == nil || doc.Tunnel.SOCKS5 != st.SOCKS5 {
		t.Errorf("status after the checks: %d %+v", code, doc.Tunnel)
	}
	if code := up.stop(t); code != ExitOK {
		t.Errorf("relais up exit %d\n%s", code, up.stderr)
	}
}

// Two `relais up` on one key: the second refuses (exit 2) with a sentence
// that names the running one and its proxy, and the first keeps its
// traffic.
func TestSecondUpRefuses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short mode")
	}
	_, m, keyEnv := reuseMachine(t)
	up, st := m.startUp(keyEnv, "--mode", "userspace")
	tr := startTraffic(t, st.SOCKS5)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := m.child(ctx, keyEnv, "up", "--mode", "userspace")
	if res.code != ExitUsage {
		t.Fatalf("second up: exit %d, want 2\n%s", res.code, res.stderr)
	}
	pid := fmt.Sprint(up.cmd.Process.Pid)
	if !strings.Contains(res.stderr, "processus "+pid) || !strings.Contains(res.stderr, st.SOCKS5) || !strings.Contains(res.stderr, "un tunnel par clé") {
		t.Errorf("second up said %q, want a sentence naming process %s and its proxy %s", res.stderr, pid, st.SOCKS5)
	}
	res = m.child(ctx, keyEnv, "--lang", "en", "up")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "process "+pid) || !strings.Contains(res.stderr, "one tunnel per key") {
		t.Errorf("second up in English: exit %d %q", res.code, res.stderr)
	}
	time.Sleep(2 * time.Second)
	if ok, failed, errs := tr.end(); failed > 0 || ok == 0 {
		t.Errorf("the first up's traffic: %d ok, %d failed:\n%s", ok, failed, strings.Join(errs, "\n"))
	}
	if code := up.stop(t); code != ExitOK {
		t.Errorf("relais up exit %d\n%s", code, up.stderr)
	}
}

// A holder that died (SIGKILL: no cleanup, its record left behind) blocks
// nothing: `relais check` brings its own tunnel up, and a new `relais up`
// starts.
func TestDeadHolderDoesNotBlock(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short mode")
	}
	_, m, keyEnv := reuseMachine(t)
	up, _ := m.startUp(keyEnv, "--mode", "userspace")
	up.cmd.Process.Signal(syscall.SIGKILL)
	<-up.done
	if _, doc := m.status(); doc.Tunnel == nil || !doc.Tunnel.Stale {
		t.Fatalf("the killed up left no stale record: %+v", doc.Tunnel)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if res := m.child(ctx, keyEnv, "check", "--mode", "userspace"); res.code != ExitOK {
		t.Fatalf("check after the holder died: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	up2, _ := m.startUp(keyEnv, "--mode", "userspace")
	if code := up2.stop(t); code != ExitOK {
		t.Errorf("relais up exit %d\n%s", code, up2.stderr)
	}
}

// A process that holds the tunnel but shares none (another relais check,
// whose tunnel has no proxy) gets a polite refusal from relais check
// after a short wait, naming it, not a second tunnel.
func TestCheckRefusesAHolderThatSharesNothing(t *testing.T) {
	t.Parallel()
	_, m := officeMachine(t, office.Options{})
	m.seams.ReuseWait = 300 * time.Millisecond
	// This process holds the lock as another process would: the lock is
	// per open file, and the record check ignores this process's records.
	var path string
	{
		r := &run{Env: Env{Env: backend.Env{Getenv: func(k string) string { return m.vars[k] }, GOOS: "linux", Now: time.Now, Seams: m.seams}}, lang: "fr"}
		mm, code := r.openMachine(false)
		if mm == nil {
			t.Fatalf("open: %d", code)
		}
		path = mm.TunnelLockPath()
		mm.Close()
	}
	l, err := instance.TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	r := m.runCmd(cmdCheck, "--mode", "userspace")
	if r.code != ExitUsage || !strings.Contains(r.stderr, fmt.Sprintf("processus %d", os.Getpid())) || !strings.Contains(r.stderr, "un tunnel par clé") {
		t.Fatalf("check while another holds the tunnel: %+v", r)
	}
	l.Release()
	if r := m.runCmd(cmdCheck, "--mode", "userspace"); r.code == ExitUsage {
		t.Fatalf("check once the lock is free: %+v", r)
	}
}
