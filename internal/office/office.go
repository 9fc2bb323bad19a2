// Package office is the demo office: a complete emergency environment in
// the process, for `relais demo` and for the end-to-end tests. It is a
// WireGuard peer on the gVisor netstack listening on 127.0.0.1, with a DNS
// server for the `intra` zone and a few essential applications inside the
// office network (one healthy, one slow, one broken), and it publishes a
// demo continuity profile, signed with a minisign key made at start, over
// HTTP on 127.0.0.1, with the picture its help page and drill show. It
// runs the organisation's server (package server, server.go) on another
// loopback port: the profile's report and upload URLs, and the Campagne
// and Dossiers pages the demo accounts sign in to.
//
// It plays the organisation's side only: the client half is the ordinary
// code (profilesync.Syncer, tunnel.StartUserspace). It must never listen on
// anything but loopback, and its signing key must never be trusted outside
// the demo.
package office

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"relais/internal/profile"
	"relais/internal/tunnel"
)

// The office network.
var (
	Network       = netip.MustParsePrefix("10.99.0.0/24")
	OfficeAddr    = netip.MustParseAddr("10.99.0.1") // DNS server and the portal
	ClientAddress = netip.MustParsePrefix("10.99.0.2/32")
)

// Zone is the demo DNS zone (the profile's dns_domains).
const Zone = "intra"

// Paths of the published profile and its assets on the profile server.
const (
	ProfilePath   = "/relais/profile.toml"
	SignaturePath = ProfilePath + ".minisig"
	AssetsPath    = "/relais/assets/"
	ButtonPath    = AssetsPath + ButtonAsset
)

// MTU of the demo tunnel, WireGuard's usual value.
const MTU = 1420

// Behaviour is how a demo app is designed to behave.
type Behaviour string

// Behaviours of the demo apps, one of each so people see every state.
const (
	Healthy Behaviour = "healthy" // fast 200 {"status":"ok"}
	Slow    Behaviour = "slow"    // 200 after SlowDelay
	Broken  Behaviour = "broken"  // 503
)

// App is an application served inside the office network.
type App struct {
	ID        string // the profile's app id
	Host      string // its name in the intra zone
	Addr      netip.Addr
	Behaviour Behaviour
	HealthURL string // what its http check fetches
}

// Apps are the demo's essential applications. The portal (portail.intra)
// also serves /gros?bytes=N, a page of N bytes for throughput tests.
var Apps = []App{
	{ID: "paie", Host: "paie.intra", Addr: netip.MustParseAddr("10.99.0.10"), Behaviour: Healthy, HealthURL: "http://paie.intra/sante"},
	{ID: "dossiers", Host: "dossiers.intra", Addr: netip.MustParseAddr("10.99.0.11"), Behaviour: Slow, HealthURL: "http://dossiers.intra/sante"},
	{ID: "messagerie", Host: "messagerie.intra", Addr: netip.MustParseAddr("10.99.0.12"), Behaviour: Broken, HealthURL: "http://messagerie.intra/sante"},
}

// PortalHost serves the portal page and the big page.
const PortalHost = "portail.intra"

// OutsideImagePath is the portal's page that shows Options.OutsideImage
// (its img element's id is "exterieure").
const OutsideImagePath = "/avec-image"

// DefaultSlowDelay is how long the slow app takes to answer.
const DefaultSlowDelay = 1500 * time.Millisecond

// maxBigPage bounds /gros?bytes=N.
const maxBigPage = 4 << 30

// Options tune the office. The zero value is the demo.
type Options struct {
	// Serial of the demo profile; 0: the current time in milliseconds, so
	// a demo started again is always newer than the one cached before.
	Serial int64
	// SlowDelay is the slow app's delay; 0: DefaultSlowDelay.
	SlowDelay time.Duration
	// Logf receives wireguard-go's errors; nil: silent.
	Logf func(format string, args ...any)
	// HealthyEssentialsOnly publishes a profile where only the healthy
	// apps are essential (the others "important"): Mode urgence against it
	// ends all green, `relais check` exits 0.
	HealthyEssentialsOnly bool
	// BrokenNotEssential publishes a profile where the broken app is
	// "important", not essential (the demo of `relais demo`): every state
	// still shows on Applications, and Mode urgence and the demo drill
	// reach operational, so their time to operational shows.
	BrokenNotEssential bool
	// HelpdeskKeyFile keeps the demo helpdesk's age identity (read, or
	// made and written there, mode 0600), so the demo's encrypted
	// diagnostics open later; "": a throwaway key.
	HelpdeskKeyFile string
	// DataDir is the demo server's data directory (its SQLite database);
	// "": a temporary directory, removed at Close.
	DataDir string
	// NoNotices publishes no notices and a profile without [notices]; by
	// default the office publishes a signed notices document (notices.go).
	NoNotices bool
	// OutsideImage is the address of an image outside the tunnel that
	// the portal's page OutsideImagePath shows (an intranet page with a
	// font, a script or a logo from the internet): the launched browser's
	// PAC test. "": the page shows no image.
	OutsideImage string
}

// Office is a running demo office.
type Office struct {
	// Endpoint is the office's WireGuard UDP address (127.0.0.1:port).
	Endpoint string
	// PublicKey is the office's WireGuard public key.
	PublicKey tunnel.Key
	// ClientKey is the private key the office issued to the demo client
	// (the demo identity); ClientPublicKey its public half.
	ClientKey, ClientPublicKey tunnel.Key
	// ProfileURL is where the signed demo profile is published.
	ProfileURL string
	// TrustedKey verifies the demo profile; trust it in the demo only.
	TrustedKey minisign.PublicKey
	// Profile and Signature are the published bytes.
	Profile, Signature []byte
	// ServerURL is the demo server (the organisation's server, in the
	// process); ReportURL and UploadURL its intake, the profile's
	// helpdesk.report_url and upload_url.
	ServerURL, ReportURL, UploadURL string
	// DemoAccounts are the demo server's accounts, one per role, with
	// the passwords made at start.
	DemoAccounts []DemoAccount
	// Button is the published picture of the Mode urgence button (asset
	// ButtonAsset, at ButtonPath).
	Button []byte
	// HelpdeskIdentity is the demo helpdesk's age key: the profile
	// publishes its recipient. Demo only.
	HelpdeskIdentity *age.X25519Identity
	// HelpdeskKeyFile is the file that holds it (Options.HelpdeskKeyFile);
	// "" for a throwaway key.
	HelpdeskKeyFile string
	// NoticesURL is where the signed notices are published ("": none);
	// NoticeKey their key, trusted for notices only (never for the
	// profile: TrustedKey is another key); Notices and NoticesSignature the
	// published bytes. See notices.go.
	NoticesURL                string
	NoticeKey                 minisign.PublicKey
	Notices, NoticesSignature []byte

	dev          *device.Device
	tnet         *netstack.Net
	servers      []*http.Server
	dnsConn      net.PacketConn
	dnsTCP       net.Listener // DNS over TCP (RFC 7766): what another process asks through a tunnel's SOCKS5 proxy
	zone         map[string]netip.Addr
	wg           sync.WaitGroup
	slow         time.Duration
	stopSlow     chan struct{}
	outsideImage string

	mu         sync.Mutex // guards dnsQueries and hits
	dnsQueries map[string]int
	hits       map[string]int

	srv serverState

	closeOnce sync.Once
}

// Start brings the office up. ctx bounds the start only; the office runs
// until Close.
func Start(ctx context.Context, opt Options) (_ *Office, err error) {
	// o is not the named result: a failed start returns nil while the
	// deferred Close still stops what was started.
	o := &Office{slow: opt.SlowDelay, stopSlow: make(chan struct{}), dnsQueries: map[string]int{}, hits: map[string]int{},
		zone: map[string]netip.Addr{PortalHost: OfficeAddr}, outsideImage: opt.OutsideImage}
	if o.slow == 0 {
		o.slow = DefaultSlowDelay
	}
	for _, a := range Apps {
		o.zone[a.Host] = a.Addr
	}
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	serverPriv, serverPub, err := newWireGuardKey()
	if err != nil {
		return nil, err
	}
	o.ClientKey, o.ClientPublicKey, err = newWireGuardKey()
	if err != nil {
		return nil, err
	}
	o.PublicKey = serverPub

	addrs := []netip.Addr{OfficeAddr}
	for _, a := range Apps {
		addrs = append(addrs, a.Addr)
	}
	tdev, tnet, err := tunnel.CreateNetstack(addrs, nil, MTU)
	if err != nil {
		return nil, fmt.Errorf("office: netstack: %w", err)
	}
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	o.tnet = tnet
	o.dev = device.NewDevice(tdev, &loopbackBind{}, &device.Logger{Verbosef: device.DiscardLogf,
		Errorf: func(f string, a ...any) { logf("office: wireguard: "+f, a...) }})
	conf := fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nallowed_ip=%s\n",
		hex.EncodeToString(serverPriv[:]), hex.EncodeToString(o.ClientPublicKey[:]), ClientAddress)
	if err := o.dev.IpcSet(conf); err != nil {
		return nil, errors.New("office: configure wireguard")
	}
	if err := o.dev.Up(); err != nil {
		return nil, fmt.Errorf("office: up: %w", err)
	}
	port, err := o.listenPort()
	if err != nil {
		return nil, err
	}
	o.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	pc, err := tnet.ListenUDPAddrPort(netip.AddrPortFrom(OfficeAddr, 53))
	if err != nil {
		return nil, fmt.Errorf("office: dns: %w", err)
	}
	o.dnsConn = pc
	o.wg.Add(1)
	go func() { defer o.wg.Done(); o.serveDNS(pc) }()
	ln, err := tnet.ListenTCPAddrPort(netip.AddrPortFrom(OfficeAddr, 53))
	if err != nil {
		return nil, fmt.Errorf("office: dns over tcp: %w", err)
	}
	o.dnsTCP = ln
	o.wg.Add(1)
	go func() { defer o.wg.Done(); o.serveDNSTCP(ln) }()

	if err := o.serveTunnel(OfficeAddr, o.portal()); err != nil {
		return nil, err
	}
	for _, a := range Apps {
		if err := o.serveTunnel(a.Addr, o.app(a)); err != nil {
			return nil, err
		}
	}
	if o.HelpdeskIdentity, err = helpdeskIdentity(opt.HelpdeskKeyFile); err != nil {
		return nil, fmt.Errorf("office: helpdesk key: %w", err)
	}
	o.HelpdeskKeyFile = opt.HelpdeskKeyFile
	if err := o.startServer(ctx, opt.DataDir); err != nil {
		return nil, err
	}
	if err := o.publish(ctx, opt.Serial, essentialsOf(opt), !opt.NoNotices); err != nil {
		return nil, err
	}
	return o, nil
}

// newWireGuardKey makes a Curve25519 key pair.
func newWireGuardKey() (priv, pub tunnel.Key, err error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return priv, pub, fmt.Errorf("office: key: %w", err)
	}
	copy(priv[:], k.Bytes())
	copy(pub[:], k.PublicKey().Bytes())
	return priv, pub, nil
}

func (o *Office) listenPort() (int, error) {
	get, err := o.dev.IpcGet()
	if err != nil {
		return 0, fmt.Errorf("office: %w", err)
	}
	for _, line := range strings.Split(get, "\n") {
		if v, ok := strings.CutPrefix(line, "listen_port="); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, errors.New("office: no listen port")
}

// serveTunnel serves h on addr:80 inside the office network.
func (o *Office) serveTunnel(addr netip.Addr, h http.Handler) error {
	ln, err := o.tnet.ListenTCPAddrPort(netip.AddrPortFrom(addr, 80))
	if err != nil {
		return fmt.Errorf("office: listen %s: %w", addr, err)
	}
	o.serve(ln, h)
	return nil
}

func (o *Office) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	o.servers = append(o.servers, srv)
	o.wg.Add(1)
	go func() { defer o.wg.Done(); _ = srv.Serve(ln) }()
}

func (o *Office) count(host string) {
	o.mu.Lock()
	o.hits[host]++
	o.mu.Unlock()
}

func (o *Office) app(a App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.count(a.Host)
		w.Header().Set("Content-Type", "application/json")
		switch a.Behaviour {
		case Slow:
			t := time.NewTimer(o.slow)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			case <-o.stopSlow:
				return
			}
			fmt.Fprintf(w, "{\"status\":\"ok\",\"app\":%q,\"note\":\"slow on purpose\"}\n", a.ID)
		case Broken:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "{\"status\":\"down\",\"app\":%q}\n", a.ID)
		default:
			fmt.Fprintf(w, "{\"status\":\"ok\",\"app\":%q}\n", a.ID)
		}
	})
}

func (o *Office) portal() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/gros", func(w http.ResponseWriter, r *http.Request) {
		o.count(PortalHost)
		n, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64)
		if err != nil || n < 0 || n > maxBigPage {
			n = 8 << 20
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		chunk := make([]byte, 32<<10)
		for i := range chunk {
			chunk[i] = byte('a' + i%26)
		}
		for n > 0 {
			m := min(n, int64(len(chunk)))
			if _, err := w.Write(chunk[:m]); err != nil {
				return
			}
			n -= m
		}
	})
	mux.HandleFunc(OutsideImagePath, func(w http.ResponseWriter, r *http.Request) {
		o.count(PortalHost)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, "<!doctype html><title>Portail d'urgence (démo)</title><h1>Portail d'urgence — démonstration</h1>"+
			"<p><img id=\"exterieure\" alt=\"logo\" src=\"%s\"></p>\n", html.EscapeString(o.outsideImage))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		o.count(PortalHost)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Portail d'urgence (démo)</title><h1>Portail d'urgence — démonstration</h1><p>ok</p>\n")
	})
	return mux
}

// Hits counts the requests an app (by host name) or the portal received.
func (o *Office) Hits(host string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[host]
}

// DNSQueries counts the questions the office's DNS server received for
// name (without the final dot).
func (o *Office) DNSQueries(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dnsQueries[strings.ToLower(name)]
}

// Close stops the servers, the DNS server, the profile server and the
// WireGuard device, and waits for their goroutines.
func (o *Office) Close() error {
	o.closeOnce.Do(func() {
		close(o.stopSlow)
		for _, s := range o.servers {
			s.Close()
		}
		if o.dnsConn != nil {
			o.dnsConn.Close()
		}
		if o.dnsTCP != nil {
			o.dnsTCP.Close()
		}
		if o.dev != nil {
			o.dev.Close()
		}
		o.wg.Wait()
		o.closeServer()
	})
	return nil
}

// publish signs the demo profile and serves it on 127.0.0.1, with its
// asset and the notices.
func (o *Office) publish(_ context.Context, serial int64, ess essentials, withNotices bool) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("office: profile server: %w", err)
	}
	base := "http://" + ln.Addr().String()
	o.ProfileURL = base + ProfilePath
	if serial == 0 {
		serial = time.Now().UnixMilli()
	}
	o.Button = buttonPNG()
	sum := sha256.Sum256(o.Button)
	pubd := published{
		ProfileURL:   o.ProfileURL,
		ReportURL:    o.ReportURL,
		UploadURL:    o.UploadURL,
		ButtonURL:    base + ButtonPath,
		ButtonSHA256: hex.EncodeToString(sum[:]),
		AgeRecipient: o.HelpdeskIdentity.Recipient().String(),
	}
	files := map[string][]byte{}
	if withNotices {
		if err := o.publishNotices(base, serial, time.Now(), files); err != nil {
			ln.Close()
			return err
		}
		pubd.NoticesURL, pubd.NoticeKey = o.NoticesURL, o.NoticeKey.String()
	}
	o.Profile = demoProfile(serial, pubd, o.Endpoint, o.PublicKey, ess)
	if _, err := profile.Parse("demo.toml", o.Profile); err != nil {
		ln.Close()
		return fmt.Errorf("office: demo profile: %w", err)
	}
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		ln.Close()
		return fmt.Errorf("office: signing key: %w", err)
	}
	o.TrustedKey = pub
	o.Signature = minisign.Sign(priv, o.Profile)
	files[ProfilePath], files[SignaturePath], files[ButtonPath] = o.Profile, o.Signature, o.Button
	etag := fmt.Sprintf(`"%d"`, serial)
	o.serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, r.URL.Path, time.Time{}, strings.NewReader(string(b)))
	}))
	return nil
}
