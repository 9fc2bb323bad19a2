package launch

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aead.dev/minisign"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// outsidePage is an intranet page of the real (demo) office, reached
// through the tunnel, whose image comes from a server outside the
// tunnel's allowed_ips — a logo, a font or a script from the internet —,
// opened by a real Chromium given Relais's proxy flag.
type outsidePage struct {
	url       string       // the intranet page, http://portail.intra/avec-image
	imageHits atomic.Int64 // requests the outside server received
	imageFrom atomic.Value // the last request's remote address (string)
	office    *office.Office
	browser   context.Context
}

// startOutsidePage starts an image server on a non-loopback address of
// this machine outside allowed_ips (a browser never sends loopback to a
// proxy, so loopback would prove nothing), the office showing that
// image, the userspace tunnel, and a headless Chromium with exactly the
// proxy flag Relais gives it. Missing Chromium or a non-loopback address:
// skipped with the reason (a failure under RELAIS_REQUIRE_E2E=1).
func startOutsidePage(tb testing.TB) *outsidePage {
	tb.Helper()
	chromium := testenv.NeedTools(tb, "chromium")[0]
	p := &outsidePage{}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The office's allowed_ips first, to pick an address outside it.
	probe, err := office.Start(ctx, office.Options{NoNotices: true})
	if err != nil {
		tb.Fatal(err)
	}
	pp, err := profile.Accept("profile.toml", probe.Profile, probe.Signature, []minisign.PublicKey{probe.TrustedKey}, profile.Previous{}, time.Now())
	probe.Close()
	if err != nil {
		tb.Fatal(err)
	}
	addr, ok := outsideAddr(pp.Tunnel.AllowedIPs)
	testenv.Need(tb, ok, "no non-loopback IPv4 address outside the tunnel on this machine for the outside image server")
	ln, err := net.Listen("tcp", net.JoinHostPort(addr.String(), "0"))
	if err != nil {
		tb.Fatal(err)
	}
	img := pngImage(tb)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.imageHits.Add(1)
		p.imageFrom.Store(r.RemoteAddr)
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(img)
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { srv.Close() })

	o, err := office.Start(ctx, office.Options{NoNotices: true, OutsideImage: "http://" + ln.Addr().String() + "/logo.png"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { o.Close() })
	p.office = o
	pr, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := tunnel.FromProfile(pr.Tunnel, o.ClientKey, nil)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { u.Close() })

	sh, sp, _ := net.SplitHostPort(u.Status().SOCKS5)
	hh, hp, _ := net.SplitHostPort(u.Status().HTTPProxy)
	p.url = "http://" + office.PortalHost + office.OutsideImagePath
	args, _ := chromiumArgs(tb.TempDir(), &proxyAddr{sh, sp}, &proxyAddr{hh, hp}, p.url)
	name, value, _ := strings.Cut(strings.TrimPrefix(args[1], "--"), "=")
	if name != "proxy-pac-url" {
		tb.Fatalf("Relais gives Chromium %q, not its PAC", args[1])
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag(name, value),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil {
		testenv.Need(tb, false, "Chromium does not start: "+err.Error())
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		tb.Fatal(err)
	}
	p.browser = bctx
	return p
}

// load opens the page and returns the time from navigation to the end of
// its load event (the image included), as the page measured it, and the
// image's width as the browser decoded it (0: not loaded).
func (p *outsidePage) load(tb testing.TB) (time.Duration, int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(p.browser, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(p.url),
		chromedp.WaitReady(chromedp.CSS("#exterieure")))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`performance.getEntriesByType("navigation")[0].loadEventEnd > 0`,
			chromedp.WithPollingTimeout(50*time.Second)))
	}
	var ms float64
	if err == nil {
		ms, err = chromedp.Run(ctx, chromedp.Evaluate[float64](
			`(() => { const n = performance.getEntriesByType("navigation")[0]; return n.loadEventEnd - n.startTime })()`))
	}
	var width int
	if err == nil {
		width, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("exterieure").naturalWidth`))
	}
	if err != nil {
		tb.Fatalf("loading %s: %v", p.url, err)
	}
	return time.Duration(ms * float64(time.Millisecond)), width
}

// Acceptance (issue 18): the launched browser loads an intranet page
// through the tunnel while its image, outside allowed_ips, comes
// directly — the PAC sends it DIRECT; before, the whole page waited for
// the tunnel proxy's 30 s dial timeout. How fast it completes is
// BenchmarkPageWithOutsideImage's (goal < 2 s).
func TestChromiumPageWithOutsideImage(t *testing.T) {
	p := startOutsidePage(t)
	took, width := p.load(t)
	if width != 16 {
		t.Fatalf("the outside image did not load (naturalWidth %d) in %s", width, took)
	}
	if p.imageHits.Load() == 0 {
		t.Fatal("the outside image server received no request")
	}
	if p.office.Hits(office.PortalHost) == 0 || p.office.DNSQueries(office.PortalHost) == 0 {
		t.Errorf("portal hits %d, office DNS questions %d: the page did not come through the tunnel",
			p.office.Hits(office.PortalHost), p.office.DNSQueries(office.PortalHost))
	}
	t.Logf("page with an outside image complete in %s (image fetched from %v)", took, p.imageFrom.Load())
}

// BenchmarkPageWithOutsideImage: navigation to load event of the page
// of TestChromiumPageWithOutsideImage, cache off (issue 18's goal: under
// 2 s).
func BenchmarkPageWithOutsideImage(b *testing.B) {
	p := startOutsidePage(b)
	p.load(b) // the PAC fetched, the tunnel's first handshake made
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		took, width := p.load(b)
		if width == 0 {
			b.Fatal("the outside image did not load")
		}
		total += took
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/page")
}

// outsideAddr is a non-loopback IPv4 address of this machine that none of
// allowed (CIDR prefixes) contains.
func outsideAddr(allowed []string) (netip.Addr, bool) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}, false
	}
	var prefixes []netip.Prefix
	for _, a := range allowed {
		if p, err := netip.ParsePrefix(a); err == nil {
			prefixes = append(prefixes, p)
		}
	}
next:
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		ip = ip.Unmap()
		if !ok || !ip.Is4() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		for _, p := range prefixes {
			if p.Contains(ip) {
				continue next
			}
		}
		return ip, true
	}
	return netip.Addr{}, false
}

// pngImage is a 16×16 PNG.
func pngImage(tb testing.TB) []byte {
	tb.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			m.Set(x, y, color.RGBA{0, 0x55, 0xa4, 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}
