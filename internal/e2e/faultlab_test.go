package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// The fault lab: the office's web and DNS servers in one process whose
// sockets the test closes and reopens on command (the network then sees
// exactly what it sees of a stopped server: a TCP reset, an ICMP port
// unreachable), and Mode urgence (engine.Engine over a userspace tunnel) in
// a child process in the client namespace, printing each report as one
// JSON line.

// bigPageSize is the size of the office's /big page, far above any MTU.
const bigPageSize = 64 << 10

// bigPageEnd ends the /big page: a check that sees it got the whole page.
const bigPageEnd = "FIN DU GROS DOCUMENT"

// faultRecheck is the engine's re-check interval in the fault lab.
const faultRecheck = time.Second

// faultProfile is the office's profile for the fault tests: every app
// checked through the tunnel with a 2 s timeout, by address and by name
// (the office's DNS), a 64 KiB page, and an app behind the captive-portal
// probe. web-ip retries once, so that its deadline is not just its timeout.
func (l *lab) faultProfile() []byte {
	return fmt.Appendf(nil, `schema = 1
serial = 1

[organisation]
name = { fr = "Bureau d'essai", en = "Test office" }

[tunnel]
endpoint = "%s:%d"
server_public_key = %q
address = ["%s/32"]
allowed_ips = ["10.99.0.0/24"]
dns = [%q]
dns_domains = ["office.test"]
persistent_keepalive = 25

[[apps]]
id = "web"
name = { fr = "Portail du bureau", en = "Office portal" }
criticality = "essential"
requires = ["tunnel"]
  [[apps.checks]]
  id = "web-ip"
  type = "http"
  target = "http://%s:8080/"
  conditions = ["[STATUS] == 200", "[BODY] == pat(*Bureau*)"]
  degraded_if = ["[RESPONSE_TIME] > 500"]
  timeout = "2s"
  retries = 1
  [[apps.checks]]
  id = "web-name"
  type = "http"
  target = "http://%s:8080/"
  conditions = ["[STATUS] == 200"]
  degraded_if = ["[RESPONSE_TIME] > 500"]
  timeout = "2s"

[[apps]]
id = "annuaire"
name = { fr = "Annuaire", en = "Directory" }
criticality = "important"
  [[apps.checks]]
  id = "annuaire-dns"
  type = "dns"
  target = %q
  conditions = ["[DNS_RCODE] == NOERROR", "[IP] == %s"]
  degraded_if = ["[RESPONSE_TIME] > 500"]
  timeout = "2s"

[[apps]]
id = "documents"
name = { fr = "Documents", en = "Documents" }
criticality = "important"
  [[apps.checks]]
  id = "documents-big"
  type = "http"
  target = "http://%s:8080/big"
  conditions = ["[STATUS] == 200", "[BODY] == pat(*%s*)"]
  degraded_if = ["[RESPONSE_TIME] > 1000"]
  timeout = "2s"

[[apps]]
id = "portail"
name = { fr = "Portail public", en = "Public portal" }
criticality = "optional"
requires = ["captive"]
  [[apps.checks]]
  id = "portail-web"
  type = "http"
  target = "http://%s:8080/"
  degraded_if = ["[RESPONSE_TIME] > 500"]
  timeout = "2s"

[[contacts]]
role = "helpdesk"
name = { fr = "Centre de services", en = "Service desk" }
phone = "+1-555-0100"
`, officeVeth, wgPort, l.officeKey.PublicKey().String(), clientTunnel, officeTunnel,
		officeTunnel, officeName, officeName, officeTunnel, officeTunnel, bigPageEnd, officeTunnel)
}

// officeServers is the office's web and DNS servers (role faultoffice).
type officeServers struct {
	p     *proc
	stdin io.WriteCloser
	mu    sync.Mutex // one command at a time
}

// relayedPort is wireguard-go's port behind the relay.
const relayedPort = wgPort + 1

// startOfficeServers runs the web and DNS servers on the office's tunnel
// address, in the office namespace, and the relay on the profile's
// endpoint, in front of wireguard-go moved to relayedPort.
func (l *lab) startOfficeServers() *officeServers {
	t := l.t
	t.Helper()
	if out, err := exec.Command("ip", "netns", "exec", l.office, "wg", "set", l.officeWG,
		"listen-port", fmt.Sprint(relayedPort)).CombinedOutput(); err != nil {
		t.Fatalf("wg set listen-port: %v: %s", err, out)
	}
	cmd := exec.Command("ip", "netns", "exec", l.office, testBinary(t))
	cmd.Env = append(os.Environ(), roleEnv+"=faultoffice", "RELAIS_E2E_ADDR="+officeTunnel,
		fmt.Sprintf("RELAIS_E2E_RELAY=%s:%d>127.0.0.1:%d", officeVeth, wgPort, relayedPort))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &officeServers{stdin: stdin}
	s.p = startProc(t, "office servers", cmd)
	if line := s.p.firstLine(t, 10*time.Second); line != "ready" {
		t.Fatalf("office servers: %q", line)
	}
	return s
}

// do sends a command ("web stop", "dns start", …) and waits for its
// acknowledgement: when it returns, the socket is closed or listening.
func (s *officeServers) do(t testing.TB, cmd string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, cmd+"\n"); err != nil {
		t.Fatalf("office servers: %s: %v", cmd, err)
	}
	select {
	case line := <-s.p.lines:
		if line != "ok "+cmd {
			t.Fatalf("office servers: %s: %q", cmd, line)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("office servers: %s: no answer\n%s", cmd, s.p.output())
	}
}

// runFaultOffice serves the office's page on / and a 64 KiB page on /big
// (port 8080) and answers officeName in DNS (port 53), on RELAIS_E2E_ADDR.
// Commands on stdin close or reopen either socket: "web stop", "web
// start", "dns stop", "dns start"; each is answered "ok " + command.
func runFaultOffice() int {
	addr := netip.MustParseAddr(os.Getenv("RELAIS_E2E_ADDR"))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, officePage) })
	const line = "Relais : page volumineuse.\n"
	big := strings.Repeat(line, (bigPageSize-len(bigPageEnd))/len(line))
	big += strings.Repeat(".", bigPageSize-len(big)-len(bigPageEnd)) + bigPageEnd
	// Like most web servers (nginx, Apache with sendfile), the headers go
	// out on their own, in a small packet, before the body.
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		io.WriteString(w, big)
	})

	var web *http.Server
	var dns net.PacketConn
	startWeb := func() error {
		l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 8080).String())
		if err != nil {
			return err
		}
		web = &http.Server{Handler: mux}
		go web.Serve(l)
		return nil
	}
	startDNS := func() error {
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, 53).String())
		if err != nil {
			return err
		}
		dns = pc
		go serveDNS(pc, officeAnswer(addr))
		return nil
	}
	var rl *relay
	if spec := os.Getenv("RELAIS_E2E_RELAY"); spec != "" {
		front, back, _ := strings.Cut(spec, ">")
		var err error
		if rl, err = startRelay(front, back); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := startWeb(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := startDNS(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var err error
		switch cmd := sc.Text(); cmd {
		case "path lossy":
			rl.impair(0.30, 300*time.Millisecond)
		case "path clear":
			rl.impair(0, 0)
		case "web stop":
			err = web.Close() // the listener and every connection: the port answers with resets
		case "web start":
			err = startWeb()
		case "dns stop":
			err = dns.Close()
		case "dns start":
			err = startDNS()
		default:
			err = fmt.Errorf("unknown command %q", cmd)
		}
		if err != nil {
			fmt.Println("error", err)
			continue
		}
		fmt.Println("ok", sc.Text())
	}
	return 0
}

// faultConfig is what the engine child needs (a test key, in a file
// readable by root only).
type faultConfig struct {
	PrivateKey string `json:"private_key"`
	Profile    string `json:"profile"`   // path of the signed profile
	Signature  string `json:"signature"` // path of its signature
	Trusted    string `json:"trusted"`   // minisign public key
}

// faultCheck is one check's (or built-in's) result as the engine child
// reports it.
type faultCheck struct {
	ID       string        `json:"id"`
	App      string        `json:"app,omitempty"`
	State    string        `json:"state"`
	Code     string        `json:"code,omitempty"`
	Duration time.Duration `json:"duration"`
	Deadline time.Duration `json:"deadline"` // Runner.Deadline, or the built-in's bound
	Attempts int           `json:"attempts"`
	Error    string        `json:"error,omitempty"`
}

// faultReport is one engine report: one JSON line of the engine child.
type faultReport struct {
	Run           int               `json:"run"`
	Phase         string            `json:"phase"`
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	Apps          map[string]string `json:"apps"` // app id → state
	Checks        []faultCheck      `json:"checks"`
	LastHandshake time.Time         `json:"last_handshake"`
	TunnelStarts  int64             `json:"tunnel_starts"` // StartTunnel calls since the engine started
	// RunDeadline bounds the whole run: the longest chain of built-in and
	// check deadlines through the apps' requires.
	RunDeadline time.Duration `json:"run_deadline"`
	// TimeToOperational is the engine's, once it was operational (0: not yet).
	TimeToOperational time.Duration `json:"time_to_operational,omitempty"`
	Ack               string        `json:"ack,omitempty"` // instead of a report: a command was applied
	// Endpoint is the tunnel's endpoint at the report (EndpointShown);
	// Endpoints the timeline's tunnel_up and tunnel_endpoint entries.
	Endpoint  string   `json:"endpoint,omitempty"`
	Endpoints []string `json:"endpoints,omitempty"`
}

func (r *faultReport) check(id string) *faultCheck {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// allOK reports whether every app and every check is ok.
func (r *faultReport) allOK() bool {
	for _, c := range r.Checks {
		if c.State != string(checks.StateOK) {
			return false
		}
	}
	for _, st := range r.Apps {
		if st != string(checks.StateOK) {
			return false
		}
	}
	return len(r.Apps) > 0
}

func (r *faultReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %d (%s, %v):", r.Run, r.Phase, r.Finished.Sub(r.Started).Round(time.Millisecond))
	for _, c := range r.Checks {
		fmt.Fprintf(&b, " %s=%s", c.ID, c.State)
		if c.Code != "" {
			fmt.Fprintf(&b, "/%s", c.Code)
		}
		if c.Attempts > 1 {
			fmt.Fprintf(&b, "×%d", c.Attempts)
		}
		fmt.Fprintf(&b, "(%v≤%v)", c.Duration.Round(time.Millisecond), c.Deadline)
	}
	if !r.LastHandshake.IsZero() {
		fmt.Fprintf(&b, " handshake %v old", r.Finished.Sub(r.LastHandshake).Round(time.Second))
	}
	return b.String()
}

// faultClient is the engine child and the reports it printed so far.
type faultClient struct {
	p     *proc
	stdin io.WriteCloser
	acks  chan string

	mu      sync.Mutex // guards reports
	reports []faultReport
}

// startFaultEngine runs Mode urgence in the client namespace: a userspace
// tunnel to the office, the engine re-checking every faultRecheck, and a
// captive-portal probe server on the namespace's loopback.
func (l *lab) startFaultEngine() *faultClient {
	l.t.Helper()
	return l.startEngineWith(l.faultProfile())
}

// startEngineWith is startFaultEngine with another profile (the lab's
// trusted key signs it).
func (l *lab) startEngineWith(data []byte) *faultClient {
	t := l.t
	t.Helper()
	cfg := faultConfig{PrivateKey: l.clientKey.String(), Profile: filepath.Join(l.dir, "fault-profile.toml"),
		Signature: filepath.Join(l.dir, "fault-profile.toml.minisig"), Trusted: l.trusted.Public.String()}
	if err := os.WriteFile(cfg.Profile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Signature, l.trusted.Sign(data), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cfg)
	file := filepath.Join(l.dir, "fault-engine.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", l.client, testBinary(t))
	cmd.Env = append(os.Environ(), roleEnv+"=faultengine", "RELAIS_E2E_CONFIG="+file)
	cmd.Env = append(cmd.Env, l.engineEnv...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &faultClient{stdin: stdin, acks: make(chan string, 4)}
	c.p = startProc(t, "engine", cmd)
	go c.collect()
	return c
}

// collect keeps every report line (startProc's channel drops lines nobody
// reads).
func (c *faultClient) collect() {
	take := func(line string) {
		var r faultReport
		if json.Unmarshal([]byte(line), &r) != nil {
			return
		}
		if r.Ack != "" {
			c.acks <- r.Ack
			return
		}
		c.mu.Lock()
		c.reports = append(c.reports, r)
		c.mu.Unlock()
	}
	for {
		select {
		case line := <-c.p.lines:
			take(line)
		case <-c.p.exited:
			for {
				select {
				case line := <-c.p.lines:
					take(line)
				default:
					return
				}
			}
		}
	}
}

// command sends a command to the engine child and waits for its
// acknowledgement.
func (c *faultClient) command(t testing.TB, cmd string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		t.Fatalf("engine: %s: %v", cmd, err)
	}
	select {
	case ack := <-c.acks:
		if ack != cmd {
			t.Fatalf("engine: %s: acknowledged %q", cmd, ack)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("engine: %s: no acknowledgement", cmd)
	}
}

// since returns the reports of the runs that started after from.
func (c *faultClient) since(from time.Time) []faultReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []faultReport
	for _, r := range c.reports {
		if r.Started.After(from) {
			out = append(out, r)
		}
	}
	return out
}

// wait returns the first report of a run started after from for which ok
// holds, failing the test after timeout.
func (c *faultClient) wait(t testing.TB, what string, from time.Time, timeout time.Duration, ok func(*faultReport) bool) *faultReport {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		reps := c.since(from)
		for i := range reps {
			if ok(&reps[i]) {
				return &reps[i]
			}
		}
		select {
		case <-c.p.exited:
			t.Fatalf("the engine exited (%v) while waiting for %s:\n%s", c.p.exitErr, what, c.p.output())
		default:
		}
		if time.Now().After(deadline) {
			var last string
			if len(reps) > 0 {
				last = reps[len(reps)-1].String()
			}
			t.Fatalf("no report with %s within %v (%d runs since; last: %s)", what, timeout, len(reps), last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkBounds asserts that no check outlived its deadline by more than a
// second, and that the engine never brought the tunnel up again.
// CheckResult.Duration is the last attempt only, so a retried check's whole
// time is bounded by the run's: the run may not outlast the longest chain
// of deadlines (built-ins, then the apps that require them) by more than a
// second either. (The built-ins report a Duration of 0 — checks.builtin
// sets it in a defer after the result was returned — so for them only the
// run's bound means anything.)
func checkBounds(t testing.TB, reps []faultReport) {
	t.Helper()
	for _, r := range reps {
		for _, c := range r.Checks {
			if c.Deadline <= 0 || c.Duration > c.Deadline+time.Second {
				t.Errorf("run %d: %s took %v, deadline %v (+1 s allowed)", r.Run, c.ID, c.Duration, c.Deadline)
			}
		}
		if took := r.Finished.Sub(r.Started); took > r.RunDeadline+time.Second {
			t.Errorf("run %d took %v, deadline %v (+1 s allowed)", r.Run, took, r.RunDeadline)
		}
		if r.TunnelStarts != 1 {
			t.Errorf("run %d: the tunnel was started %d times: recovery must not restart anything", r.Run, r.TunnelStarts)
		}
	}
}

// runFaultEngine is the engine child: it brings the profile's tunnel up in
// userspace mode through engine.Engine, prints each report as one JSON line
// and serves the captive-portal probe on loopback. Commands on stdin:
// "captive portal" (the probe answers 302 to a login page) and "captive ok"
// (204), each acknowledged with {"ack": command}. SIGTERM stops the engine.
func runFaultEngine() int {
	var cfg faultConfig
	b, err := os.ReadFile(os.Getenv("RELAIS_E2E_CONFIG"))
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	priv, err := tunnel.ParseKey(cfg.PrivateKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var trusted minisign.PublicKey
	if err := trusted.UnmarshalText([]byte(cfg.Trusted)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	data, err1 := os.ReadFile(cfg.Profile)
	sig, err2 := os.ReadFile(cfg.Signature)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		return 1
	}
	p, err := profile.Accept("profile.toml", data, sig, []minisign.PublicKey{trusted}, profile.Previous{}, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	// The captive-portal probe: 204 normally, a redirect to a login page
	// while a portal intercepts the traffic.
	var portal atomic.Bool
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	probe := "http://" + ln.Addr().String() + "/generate_204"
	mux := http.NewServeMux()
	mux.HandleFunc("/generate_204", func(w http.ResponseWriter, r *http.Request) {
		if portal.Load() {
			http.Redirect(w, r, "http://"+ln.Addr().String()+"/login", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "Wi-Fi de la gare : acceptez les conditions\n")
	})
	go http.Serve(ln, mux)

	var out sync.Mutex // one line at a time on stdout
	emit := func(v any) {
		b, _ := json.Marshal(v)
		out.Lock()
		os.Stdout.Write(append(b, '\n'))
		out.Unlock()
	}
	newRunner := func() *checks.Runner { return &checks.Runner{CaptiveURL: probe} }
	deadlines := map[string]time.Duration{
		profile.BuiltinTunnel:  checks.DefaultHandshakeWait, // the built-in waits that long for a fresh handshake
		profile.BuiltinCaptive: checks.BuiltinTimeout,
	}
	for i := range p.Apps {
		for j := range p.Apps[i].Checks {
			c := &p.Apps[i].Checks[j]
			deadlines[c.ID] = newRunner().Deadline(c)
		}
	}

	var chain func(id string) time.Duration
	chain = func(id string) time.Duration {
		a := p.App(id)
		if a == nil {
			return deadlines[id] // a built-in
		}
		var before, own time.Duration
		for _, req := range a.Requires {
			before = max(before, chain(req))
		}
		for i := range a.Checks {
			own = max(own, deadlines[a.Checks[i].ID])
		}
		return before + own
	}
	var runDeadline time.Duration
	for _, a := range p.Apps {
		runDeadline = max(runDeadline, chain(a.ID))
	}

	var starts atomic.Int64
	e := &engine.Engine{
		LoadProfile: func(context.Context) (*engine.Loaded, error) {
			return &engine.Loaded{Profile: p, Info: engine.ProfileInfo{Serial: p.Serial, Signed: true, Signature: "valid"}}, nil
		},
		StartTunnel: func(ctx context.Context, p *profile.Profile) (tunnel.Tunnel, bool, error) {
			starts.Add(1)
			if socket := os.Getenv(engineHelperEnv); socket != "" {
				t, err := helperTunnel(ctx, socket, data, sig, priv, p)
				return t, t != nil, err
			}
			tc, err := tunnel.FromProfile(p.Tunnel, priv, nil)
			if err != nil {
				return nil, false, err
			}
			u, err := tunnel.StartUserspace(ctx, tc, tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off,
				ReresolveEvery: envDuration("RELAIS_E2E_RERESOLVE"), EndpointStaleAfter: envDuration("RELAIS_E2E_STALE"),
				Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "tunnel: "+format+"\n", args...) }})
			if err != nil {
				return nil, false, err
			}
			return u, true, nil
		},
		Checks:          newRunner,
		RecheckInterval: faultRecheck,
		// Re-checks on the interval only: a network change (the MTU fault
		// changes a link) must not be what makes the engine recover.
		NetworkChanges: func(context.Context) <-chan struct{} { return nil },
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
		},
	}
	lastRun := 0
	cancel := e.Subscribe(func(ev engine.Event) {
		s := ev.Snapshot
		if s.Report == nil || s.Runs == lastRun {
			return
		}
		lastRun = s.Runs
		r := faultReport{Run: s.Runs, Phase: string(s.Phase), Started: s.Report.Started, Finished: s.Report.Finished,
			Apps: map[string]string{}, LastHandshake: s.TunnelAtReport.LastHandshake, TunnelStarts: starts.Load(),
			RunDeadline: runDeadline, Endpoint: s.TunnelAtReport.EndpointShown(), Endpoints: endpointEntries(s.Timeline)}
		if s.TimeToOperational != nil {
			r.TimeToOperational = *s.TimeToOperational
		}
		add := func(c checks.CheckResult) {
			r.Checks = append(r.Checks, faultCheck{ID: c.ID, App: c.AppID, State: string(c.State), Code: engine.ReasonCode(c),
				Duration: c.Duration, Deadline: deadlines[c.ID], Attempts: c.Attempts, Error: c.Error})
		}
		for _, id := range []string{profile.BuiltinTunnel, profile.BuiltinCaptive} {
			if c, ok := s.Report.Builtins[id]; ok {
				add(c)
			}
		}
		for _, a := range s.Report.Apps {
			r.Apps[a.ID] = string(a.State)
			for _, c := range a.Checks {
				add(c)
			}
		}
		emit(r)
	})
	defer cancel()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := e.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			switch sc.Text() {
			case "captive portal":
				portal.Store(true)
			case "captive ok":
				portal.Store(false)
			default:
				fmt.Fprintln(os.Stderr, "unknown command", sc.Text())
				continue
			}
			emit(faultReport{Ack: sc.Text()})
		}
	}()
	<-e.Done()
	return 0
}
