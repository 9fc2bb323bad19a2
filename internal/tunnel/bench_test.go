//go:build linux

package tunnel_test

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
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"relais/internal/office"
	"relais/internal/tunnel"
)

// The child process of the memory and idle benchmarks: only the client
// side (the userspace tunnel, its SOCKS5 proxy, and a program reading
// through that proxy), so that its RSS is Relais' and not the office's.
func TestMain(m *testing.M) {
	if mode := os.Getenv("RELAIS_TUNNEL_CHILD"); mode != "" {
		os.Exit(benchChild(mode))
	}
	if os.Getenv(proxyClientEnv) == "1" {
		os.Exit(runProxyClient())
	}
	code := m.Run()
	if childPath != "" {
		os.RemoveAll(filepath.Dir(childPath))
	}
	os.Exit(code)
}

// childReport is what the child prints as JSON on stdout.
type childReport struct {
	BaselineRSSKiB int64   `json:"baseline_rss_kib"` // VmRSS once the tunnel is up
	PeakRSSKiB     int64   `json:"peak_rss_kib"`     // VmHWM at the end
	EndRSSKiB      int64   `json:"end_rss_kib"`      // VmRSS at the end
	Bytes          int64   `json:"bytes"`
	Seconds        float64 `json:"seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"` // user+system over the measured phase
	Error          string  `json:"error,omitempty"`
}

func benchChild(mode string) int {
	// As `relais up` does; RELAIS_CHILD_MEMLIMIT=off measures without.
	if os.Getenv("RELAIS_CHILD_MEMLIMIT") != "off" {
		tunnel.LimitMemory(tunnel.DefaultMemoryLimit)
	}
	var rep childReport
	err := func() error {
		priv, err := tunnel.ParseKey(os.Getenv("RELAIS_CHILD_KEY"))
		if err != nil {
			return err
		}
		pub, err := tunnel.ParseKey(os.Getenv("RELAIS_CHILD_PEER"))
		if err != nil {
			return err
		}
		cfg := tunnel.Config{PrivateKey: priv, Addresses: []netip.Prefix{office.ClientAddress}, DNS: []netip.Addr{office.OfficeAddr},
			DNSDomains: []string{office.Zone}, MTU: office.MTU,
			Peer: tunnel.Peer{PublicKey: pub, Endpoint: os.Getenv("RELAIS_CHILD_ENDPOINT"), AllowedIPs: []netip.Prefix{office.Network},
				PersistentKeepalive: 25 * time.Second}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{HTTPAddr: tunnel.Off})
		if err != nil {
			return err
		}
		defer u.Close()
		// One request so the handshake is done before measuring.
		c, err := u.Dial(ctx, "tcp", "paie.intra:80")
		if err != nil {
			return err
		}
		c.Close()
		time.Sleep(200 * time.Millisecond)
		rep.BaselineRSSKiB = procStatus("VmRSS")
		cpu0 := cpuSeconds()
		start := time.Now()
		switch mode {
		case "rss":
			n, _ := strconv.ParseInt(os.Getenv("RELAIS_CHILD_BYTES"), 10, 64)
			d, _ := proxy.SOCKS5("tcp", u.SOCKS5Addr(), nil, &net.Dialer{Timeout: 5 * time.Second})
			hc := &http.Client{Timeout: 10 * time.Minute, Transport: &http.Transport{DialContext: d.(proxy.ContextDialer).DialContext}}
			resp, err := hc.Get(fmt.Sprintf("http://portail.intra/gros?bytes=%d", n))
			if err != nil {
				return err
			}
			rep.Bytes, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
		case "idle":
			d, _ := time.ParseDuration(os.Getenv("RELAIS_CHILD_IDLE"))
			time.Sleep(d)
		}
		rep.Seconds = time.Since(start).Seconds()
		rep.CPUSeconds = cpuSeconds() - cpu0
		rep.PeakRSSKiB = procStatus("VmHWM")
		rep.EndRSSKiB = procStatus("VmRSS")
		return nil
	}()
	if err != nil {
		rep.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(rep)
	if err != nil {
		return 1
	}
	return 0
}

// procStatus reads a kB field of /proc/self/status (Linux).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// runChild runs the client side in a child process against o.
func runChild(b *testing.B, o *office.Office, mode string, env ...string) childReport {
	b.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc (Linux)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RELAIS_TUNNEL_CHILD="+mode,
		"RELAIS_CHILD_KEY="+o.ClientKey.String(), "RELAIS_CHILD_PEER="+o.PublicKey.String(), "RELAIS_CHILD_ENDPOINT="+o.Endpoint)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var rep childReport
	if jerr := json.Unmarshal(out, &rep); jerr != nil || err != nil || rep.Error != "" {
		b.Fatalf("child: %v %v %s %q", err, jerr, rep.Error, out)
	}
	return rep
}

// BenchmarkUpToFirstByte: from StartUserspace to the first byte of an
// answer from an office app through the tunnel (handshake included).
func BenchmarkUpToFirstByte(b *testing.B) {
	o := startOffice(b)
	cfg := clientConfig(b, o)
	buf := make([]byte, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		u, err := tunnel.StartUserspace(ctx, cfg, tunnel.UserspaceOptions{SOCKS5Addr: tunnel.Off, HTTPAddr: tunnel.Off})
		if err != nil {
			b.Fatal(err)
		}
		c, err := u.Dial(ctx, "tcp", "10.99.0.10:80")
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprint(c, "GET /sante HTTP/1.0\r\n\r\n")
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
		c.Close()
		u.Close()
		cancel()
		// The office refuses a handshake whose timestamp is not newer than
		// the last one from this key, and wireguard-go's timestamps have a
		// 16 ms grain: a real restart is never that quick.
		b.StopTimer()
		time.Sleep(20 * time.Millisecond)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/first-byte")
}

// BenchmarkSOCKS5Throughput: a 16 MiB download through the local SOCKS5
// proxy, tunnel and office in this process.
func BenchmarkSOCKS5Throughput(b *testing.B) {
	benchProxyThroughput(b, "socks5")
}

// BenchmarkHTTPProxyThroughput: the same through the local HTTP proxy.
func BenchmarkHTTPProxyThroughput(b *testing.B) {
	benchProxyThroughput(b, "http")
}

func benchProxyThroughput(b *testing.B, kind string) {
	const size = 16 << 20
	o := startOffice(b)
	u := startClient(b, o, tunnel.UserspaceOptions{})
	tr := &http.Transport{}
	if kind == "socks5" {
		d, _ := proxy.SOCKS5("tcp", u.SOCKS5Addr(), nil, &net.Dialer{Timeout: 5 * time.Second})
		tr.DialContext = d.(proxy.ContextDialer).DialContext
	} else {
		pu, _ := url.Parse("http://" + u.HTTPProxyAddr())
		tr.Proxy = http.ProxyURL(pu)
	}
	hc := &http.Client{Timeout: time.Minute, Transport: tr}
	defer tr.CloseIdleConnections()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := hc.Get(fmt.Sprintf("http://portail.intra/gros?bytes=%d", size))
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != size {
			b.Fatalf("%d bytes, %v", n, err)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/(1<<20), "MiB/s")
}

// BenchmarkPeakRSS256MiB: peak RSS (VmHWM) of a child process running only
// the client side while 256 MiB come through its SOCKS5 proxy from the
// office in this process.
func BenchmarkPeakRSS256MiB(b *testing.B) {
	const size = 256 << 20
	o := startOffice(b)
	var rep childReport
	for i := 0; i < b.N; i++ {
		rep = runChild(b, o, "rss", fmt.Sprintf("RELAIS_CHILD_BYTES=%d", size))
		if rep.Bytes != size {
			b.Fatalf("child read %d bytes", rep.Bytes)
		}
	}
	b.ReportMetric(float64(rep.PeakRSSKiB)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(rep.BaselineRSSKiB)/1024, "baseline-RSS-MiB")
	b.ReportMetric(float64(size)/rep.Seconds/(1<<20), "MiB/s")
	b.ReportMetric(rep.CPUSeconds, "child-CPU-s")
}

// BenchmarkIdleTunnel60s: CPU time and RSS of a child process holding an
// idle tunnel (keepalive 25 s) for 60 s. RELAIS_IDLE_BENCH shortens it.
func BenchmarkIdleTunnel60s(b *testing.B) {
	idle := "60s"
	if v := os.Getenv("RELAIS_IDLE_BENCH"); v != "" {
		idle = v
	}
	o := startOffice(b)
	var rep childReport
	for i := 0; i < b.N; i++ {
		rep = runChild(b, o, "idle", "RELAIS_CHILD_IDLE="+idle)
	}
	b.ReportMetric(rep.CPUSeconds*1000, "idle-CPU-ms")
	b.ReportMetric(rep.CPUSeconds/rep.Seconds*100, "idle-CPU-%")
	b.ReportMetric(float64(rep.EndRSSKiB)/1024, "idle-RSS-MiB")
}
