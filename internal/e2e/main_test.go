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
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"relais/internal/cli"
	"relais/internal/helper"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// roleEnv makes the test binary play a part in a child process.
const roleEnv = "RELAIS_E2E_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "":
		// No test may reach the person's own keyring, settings or session bus.
		cleanup, err := testenv.IsolateUserDirs()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		code := m.Run()
		cleanup()
		if binDir != "" {
			os.RemoveAll(binDir)
		}
		os.Exit(code)
	case "relais":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
		stop()
		os.Exit(code)
	case "office":
		os.Exit(runOffice())
	case "up":
		os.Exit(runUp())
	case "userspace":
		os.Exit(runUserspace())
	case "faultoffice":
		os.Exit(runFaultOffice())
	case "faultengine":
		os.Exit(runFaultEngine())
	case "helper":
		os.Exit(runHelper())
	case "gatewaydns":
		os.Exit(runGatewayDNS())
	default:
		fmt.Fprintln(os.Stderr, "unknown role", os.Getenv(roleEnv))
		os.Exit(2)
	}
}

// officePage is what the office's web server answers on /.
const officePage = "Bureau d'urgence : ok\n"

// officeName is the office's web server's name in the office's DNS.
const officeName = "bureau.office.test"

// runOffice serves the office's web page (and /bytes?n=N for throughput)
// and a DNS server answering officeName, on the address in RELAIS_E2E_ADDR.
func runOffice() int {
	addr := netip.MustParseAddr(os.Getenv("RELAIS_E2E_ADDR"))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, officePage) })
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		buf := make([]byte, 256<<10)
		for n > 0 {
			k := min(n, int64(len(buf)))
			if _, err := w.Write(buf[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 8080).String())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, 53).String())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go serveDNS(pc, officeAnswer(addr))
	fmt.Println("ready")
	_ = http.Serve(l, mux)
	return 0
}

// officeAnswer is the office's DNS: officeName at addr.
func officeAnswer(addr netip.Addr) func(string) (netip.Addr, bool) {
	return func(name string) (netip.Addr, bool) { return addr, name == officeName }
}

// serveDNS answers A queries with answer's address for the names it
// knows, NXDOMAIN otherwise.
func serveDNS(pc net.PacketConn, answer func(name string) (netip.Addr, bool)) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		addr, known := answer(strings.TrimSuffix(q.Name.String(), "."))
		rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
		if !known {
			rh.RCode = dnsmessage.RCodeNameError
		}
		b := dnsmessage.NewBuilder(nil, rh)
		_ = b.StartQuestions()
		_ = b.Question(q)
		_ = b.StartAnswers()
		if known && q.Type == dnsmessage.TypeA {
			_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr.As4()})
		}
		out, err := b.Finish()
		if err == nil {
			_, _ = pc.WriteTo(out, from)
		}
	}
}

// runUp is a client of the helper: it reads an UpRequest from the file in
// RELAIS_E2E_REQUEST, brings the tunnel up through the helper at
// RELAIS_HELPER_SOCKET, prints one JSON line (the status, or the error's
// code), and holds the tunnel until its standard input closes.
func runUp() int {
	enc := json.NewEncoder(os.Stdout)
	type result struct {
		Status *tunnel.Status `json:"status,omitempty"`
		Code   string         `json:"code,omitempty"`
		Error  string         `json:"error,omitempty"`
	}
	fail := func(err error) int {
		r := result{Error: err.Error(), Code: "other"}
		if he, ok := err.(*helper.Error); ok {
			r.Code = string(he.Code)
		}
		_ = enc.Encode(r)
		return 1
	}
	b, err := os.ReadFile(os.Getenv("RELAIS_E2E_REQUEST"))
	if err != nil {
		return fail(err)
	}
	var req helper.UpRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := helper.Dial(ctx, helper.SocketPath(os.Getenv))
	if err != nil {
		return fail(err)
	}
	if os.Getenv("RELAIS_E2E_STATUS_ONLY") == "1" {
		st, err := c.Status(ctx)
		if err != nil {
			return fail(err)
		}
		_ = enc.Encode(result{Status: &st})
		return 0
	}
	t, err := c.Up(ctx, req)
	if err != nil {
		return fail(err)
	}
	st := t.Status()
	_ = enc.Encode(result{Status: &st})
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	if err := t.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		return 1
	}
	return 0
}

// userspaceConfig is the tunnel configuration handed to the userspace
// child (a test key, in a file readable by root only).
type userspaceConfig struct {
	PrivateKey string   `json:"private_key"`
	PublicKey  string   `json:"public_key"`
	Endpoint   string   `json:"endpoint"`
	Address    string   `json:"address"`
	AllowedIPs []string `json:"allowed_ips"`
	DNS        string   `json:"dns"`
	Domain     string   `json:"domain"`
}

// userspaceResult is what the userspace child saw.
type userspaceResult struct {
	Dial       string        `json:"dial"`         // body fetched through Dial, by address
	DialByName string        `json:"dial_by_name"` // body fetched through Dial, by name (tunnel DNS)
	HTTPProxy  string        `json:"http_proxy"`   // body fetched through the local HTTP proxy
	Status     tunnel.Status `json:"status"`
	Errors     []string      `json:"errors,omitempty"`
}

// runUserspace brings a userspace tunnel up in this process (inside the
// client namespace) and fetches the office page through it.
func runUserspace() int {
	var uc userspaceConfig
	b, err := os.ReadFile(os.Getenv("RELAIS_E2E_CONFIG"))
	if err == nil {
		err = json.Unmarshal(b, &uc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	priv, _ := tunnel.ParseKey(uc.PrivateKey)
	pub, _ := tunnel.ParseKey(uc.PublicKey)
	cfg := tunnel.Config{PrivateKey: priv, Addresses: []netip.Prefix{netip.MustParsePrefix(uc.Address)},
		Peer: tunnel.Peer{PublicKey: pub, Endpoint: uc.Endpoint, PersistentKeepalive: 25 * time.Second},
		DNS:  []netip.Addr{netip.MustParseAddr(uc.DNS)}, DNSDomains: []string{uc.Domain}, MTU: 1280}
	for _, a := range uc.AllowedIPs {
		cfg.Peer.AllowedIPs = append(cfg.Peer.AllowedIPs, netip.MustParsePrefix(a))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "StartUserspace:", err)
		return 1
	}
	defer u.Close()
	if os.Getenv("RELAIS_E2E_HOLD") == "1" {
		// For the benchmark: say where the proxy is, hold until stdin closes.
		fmt.Println(u.HTTPProxyAddr())
		_, _ = io.Copy(io.Discard, os.Stdin)
		return 0
	}
	var res userspaceResult
	get := func(c *http.Client, url string) string {
		resp, err := c.Get(url)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	direct := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: u.Dial, Proxy: nil}}
	res.Dial = get(direct, "http://10.99.0.1:8080/")
	res.DialByName = get(direct, "http://"+officeName+":8080/")
	if addr := u.HTTPProxyAddr(); addr != "" {
		proxied := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			Proxy: http.ProxyURL(mustURL("http://" + addr))}}
		res.HTTPProxy = get(proxied, "http://10.99.0.1:8080/")
	}
	res.Status = u.Status()
	_ = json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
