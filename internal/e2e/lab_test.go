//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/helper"
	"relais/internal/helper/helpertest"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// Addresses inside the lab's namespaces (never on the host).
const (
	officeVeth   = "10.98.5.1"
	clientVeth   = "10.98.5.2"
	officeTunnel = "10.99.0.1"
	clientTunnel = "10.99.0.2"
	wgPort       = 51820
)

// lab is one test's network: a client namespace (where Relais runs) and,
// when the test needs a peer, an office namespace running Debian's
// wireguard-go, joined by a veth pair. Everything is named after a random
// id and removed when the test ends.
type lab struct {
	t      testing.TB
	id     string
	office string // namespace names
	client string
	dir    string // world-readable directory: socket, managed configuration, state

	trusted   helpertest.Key
	clientKey wgtypes.Key
	officeKey wgtypes.Key
	iface     string // the helper's interface in the client namespace
	officeWG  string // wireguard-go's interface in the office namespace
	// noOfficePeer: the office's interface starts with no peer (the
	// enrolment server adds them).
	noOfficePeer bool
	// engineEnv is added to the engine child's environment.
	engineEnv []string
}

func newLab(t testing.TB, withOffice bool) *lab {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "ip")
	var rb [3]byte
	_, _ = rand.Read(rb[:])
	id := hex.EncodeToString(rb[:])
	l := &lab{t: t, id: id, office: "rlo-" + id, client: "rlc-" + id, iface: "rwc" + id, officeWG: "rwo" + id}
	dir, err := os.MkdirTemp("", "relais-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	l.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l.trusted = helpertest.NewKey(t)
	helpertest.WriteManaged(t, l.managedPath(), l.trusted)
	l.clientKey, _ = wgtypes.GeneratePrivateKey()
	l.officeKey, _ = wgtypes.GeneratePrivateKey()

	// Cleanups run last-in first-out: the namespaces go after the processes
	// registered later.
	t.Cleanup(func() {
		for _, ns := range []string{l.client, l.office} {
			_ = exec.Command("ip", "netns", "del", ns).Run()
			_ = os.RemoveAll(filepath.Join("/etc/netns", ns))
		}
		for _, n := range []string{l.iface, l.officeWG} {
			_ = os.Remove("/var/run/wireguard/" + n + ".sock")
		}
	})
	l.ip("netns", "add", l.client)
	l.ip("-n", l.client, "link", "set", "lo", "up")
	// The client namespace's own resolv.conf: ip netns exec bind-mounts it
	// over /etc/resolv.conf, so the helper's DNS changes stay in the lab.
	if err := os.MkdirAll(filepath.Join("/etc/netns", l.client), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.resolvConf(), []byte(originalResolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if withOffice {
		l.startOffice()
	}
	return l
}

const originalResolvConf = "# the lab's client namespace, before Relais\nnameserver 192.0.2.53\n"

func (l *lab) managedPath() string { return filepath.Join(l.dir, "relais.toml") }
func (l *lab) socket() string      { return filepath.Join(l.dir, "helper.sock") }
func (l *lab) statePath() string   { return filepath.Join(l.dir, "state.json") }
func (l *lab) resolvConf() string  { return filepath.Join("/etc/netns", l.client, "resolv.conf") }
func (l *lab) stateDir() string    { return filepath.Join(l.dir, "state") }

// holdsKey reports whether s shows the client's private key, in base64
// or in hex.
func (l *lab) holdsKey(s string) bool {
	return strings.Contains(s, l.clientKey.String()) || strings.Contains(s, hex.EncodeToString(l.clientKey[:]))
}

// ip runs ip(8) and fails the test on error.
func (l *lab) ip(args ...string) string {
	l.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inClient runs a command inside the client namespace.
func (l *lab) inClient(name string, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.client, name}, args...)...).CombinedOutput()
	return string(out), err
}

// startOffice makes the office: a namespace joined to the client's by a
// veth pair, Debian's wireguard-go configured with wg(8) as the peer, and
// a web and DNS server on its tunnel address.
func (l *lab) startOffice() {
	t := l.t
	t.Helper()
	l.startOfficePeer()
	srv := exec.Command("ip", "netns", "exec", l.office, testBinary(t))
	srv.Env = append(os.Environ(), roleEnv+"=office", "RELAIS_E2E_ADDR="+officeTunnel)
	out := startProc(t, "office web", srv)
	if line := out.firstLine(t, 10*time.Second); line != "ready" {
		t.Fatalf("office web server: %q", line)
	}
}

// startOfficePeer makes the office without its servers: the namespace,
// the veth pair (office side "rvo"+id, client side "rvc"+id) and
// wireguard-go with the tunnel address.
func (l *lab) startOfficePeer() {
	t := l.t
	t.Helper()
	testenv.NeedTools(t, "wireguard-go", "wg")
	l.ip("netns", "add", l.office)
	l.ip("-n", l.office, "link", "set", "lo", "up")
	vo, vc := "rvo"+l.id, "rvc"+l.id
	l.ip("link", "add", vo, "netns", l.office, "type", "veth", "peer", "name", vc, "netns", l.client)
	l.ip("-n", l.office, "addr", "add", officeVeth+"/24", "dev", vo)
	l.ip("-n", l.office, "link", "set", vo, "up")
	l.ip("-n", l.client, "addr", "add", clientVeth+"/24", "dev", vc)
	l.ip("-n", l.client, "link", "set", vc, "up")
	l.startOfficeWG()
}

// startOfficeWG starts wireguard-go in the office namespace and gives its
// interface the office's key, port and tunnel address, and the client's
// key as its peer unless noOfficePeer.
func (l *lab) startOfficeWG() *proc {
	t := l.t
	t.Helper()
	wg := exec.Command("ip", "netns", "exec", l.office, "wireguard-go", "-f", l.officeWG)
	wg.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error")
	p := startProc(t, "wireguard-go", wg)
	waitUntil(t, "wireguard-go's interface", 10*time.Second, func() bool {
		return exec.Command("ip", "-n", l.office, "link", "show", l.officeWG).Run() == nil
	})
	keyFile := filepath.Join(l.dir, "office.key")
	if err := os.WriteFile(keyFile, []byte(l.officeKey.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set := []string{"netns", "exec", l.office, "wg", "set", l.officeWG, "private-key", keyFile, "listen-port", fmt.Sprint(wgPort)}
	if !l.noOfficePeer {
		set = append(set, "peer", l.clientKey.PublicKey().String(), "allowed-ips", clientTunnel+"/32")
	}
	if out, err := exec.Command("ip", set...).CombinedOutput(); err != nil {
		t.Fatalf("wg set: %v: %s", err, out)
	}
	l.ip("-n", l.office, "addr", "add", officeTunnel+"/24", "dev", l.officeWG)
	l.ip("-n", l.office, "link", "set", l.officeWG, "up")
	return p
}

// profile is the office's signed profile, as the continuity team would
// publish it. allowed_ips also holds half of the veth's subnet, which
// contains the endpoint: the helper must route around it.
func (l *lab) profile(serial int, tweak func(*helpertest.Tunnel)) (data, sig []byte) {
	tn := helpertest.Tunnel{
		Endpoint:        fmt.Sprintf("%s:%d", officeVeth, wgPort),
		ServerPublicKey: l.officeKey.PublicKey().String(),
		AllowedIPs:      []string{"10.99.0.0/24", "10.98.5.0/25"},
		DNS:             []string{officeTunnel},
		DNSDomains:      []string{"office.test"},
		Keepalive:       25,
	}
	if tweak != nil {
		tweak(&tn)
	}
	data = helpertest.Profile(serial, tn)
	return data, l.trusted.Sign(data)
}

// upRequest is what relais up sends the helper.
func (l *lab) upRequest(data, sig []byte, addr string) helper.UpRequest {
	return helper.UpRequest{Profile: data, Signature: sig, PrivateKey: tunnel.Key(l.clientKey),
		Addresses: []netip.Prefix{netip.MustParsePrefix(addr)}}
}

// startHelper runs `relais helper` (this binary) inside the client
// namespace and waits until it answers.
func (l *lab) startHelper(group string) *proc {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.client, testBinary(l.t),
		"helper", "--socket", l.socket(), "--interface", l.iface, "--group", group, "--lang", "en")
	// The lab's own state directory (the profile's high-water mark), as
	// systemd's StateDirectory= would give it: never the host's.
	cmd.Env = append(os.Environ(), roleEnv+"=relais", "RELAIS_CONFIG="+l.managedPath(), "STATE_DIRECTORY="+l.stateDir())
	p := startProc(l.t, "relais helper", cmd)
	l.waitHelper()
	return p
}

// waitHelper waits until the helper answers on its socket.
func (l *lab) waitHelper() {
	l.t.Helper()
	waitUntil(l.t, "the helper's socket", 10*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		c, err := helper.Dial(ctx, l.socket())
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// upClient is a helper client process holding a tunnel.
type upClient struct {
	p      *proc
	stdin  io.WriteCloser
	Status *tunnel.Status `json:"status"`
	Code   string         `json:"code"`
	Error  string         `json:"error"`
}

// up starts a client of the helper (this binary) that sends req and holds
// the tunnel until release. In the client namespace unless cred is set:
// then it runs as that user in the host's namespace, where the helper's
// socket (a path) is reachable too.
func (l *lab) up(req helper.UpRequest, cred *syscall.Credential, statusOnly bool) *upClient {
	l.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		l.t.Fatal(err)
	}
	reqFile, err := os.CreateTemp(l.dir, "up-*.json")
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := reqFile.Write(b); err != nil {
		l.t.Fatal(err)
	}
	reqFile.Close()
	var cmd *exec.Cmd
	if cred != nil {
		// The test key is the only secret in the file; the other user must read it.
		_ = os.Chmod(reqFile.Name(), 0o644)
		cmd = exec.Command(testBinary(l.t))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	} else {
		cmd = exec.Command("ip", "netns", "exec", l.client, testBinary(l.t))
	}
	cmd.Env = append(os.Environ(), roleEnv+"=up", "RELAIS_E2E_REQUEST="+reqFile.Name(), helper.SocketEnv+"="+l.socket())
	if statusOnly {
		cmd.Env = append(cmd.Env, "RELAIS_E2E_STATUS_ONLY=1")
	}
	u := &upClient{}
	u.stdin, err = cmd.StdinPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	u.p = startProc(l.t, "helper client", cmd)
	line := u.p.firstLine(l.t, 30*time.Second)
	if err := json.Unmarshal([]byte(line), u); err != nil {
		l.t.Fatalf("helper client said %q: %v\n%s", line, err, u.p.output())
	}
	return u
}

// release closes the client's stdin: it brings its tunnel down and exits.
func (u *upClient) release(t testing.TB) {
	t.Helper()
	u.stdin.Close()
	if err := u.p.wait(10 * time.Second); err != nil {
		t.Errorf("helper client: %v\n%s", err, u.p.output())
	}
}

// proc is a child process whose output is kept for the test's log.
type proc struct {
	name string
	cmd  *exec.Cmd

	mu    sync.Mutex // guards out
	out   bytes.Buffer
	lines chan string

	exited  chan struct{} // closed once the process has exited
	exitErr error         // set before exited is closed
}

func startProc(t testing.TB, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, lines: make(chan string, 16), exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = (*lockedWriter)(p)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
			(*lockedWriter)(p).Write(append(sc.Bytes(), '\n'))
		}
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(5 * time.Second)
		if t.Failed() {
			t.Logf("--- %s output:\n%s", name, p.output())
		}
	})
	return p
}

type lockedWriter proc

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *proc) firstLine(t testing.TB, timeout time.Duration) string {
	t.Helper()
	select {
	case l := <-p.lines:
		return l
	case <-p.exited:
		select {
		case l := <-p.lines:
			return l
		default:
		}
		t.Fatalf("%s exited (%v) before saying anything:\n%s", p.name, p.exitErr, p.output())
	case <-time.After(timeout):
		t.Fatalf("%s said nothing in %v:\n%s", p.name, timeout, p.output())
	}
	return ""
}

// wait waits for the process to exit by itself.
func (p *proc) wait(timeout time.Duration) error {
	select {
	case <-p.exited:
		return p.exitErr
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.name, timeout)
	}
}

// stop sends SIGTERM, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if p.wait(grace) != nil {
		_ = p.cmd.Process.Kill()
		_ = p.wait(grace)
	}
}

func waitUntil(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// testBinary is a copy of this test binary that every user can run (the
// go test work directory is private to root), for the re-executed roles.
func testBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		self, err := os.Executable()
		if err != nil {
			binErr = err
			return
		}
		binDir, binErr = os.MkdirTemp("", "relais-e2e-bin-")
		if binErr != nil {
			return
		}
		if binErr = os.Chmod(binDir, 0o755); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "relais")
		binErr = copyFile(self, binPath, 0o755)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
