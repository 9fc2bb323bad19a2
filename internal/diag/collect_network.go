package diag

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"relais/internal/diag/bundle"
	"relais/internal/resolvconf"
)

func (s *sources) interfaceFacts(ctx context.Context) (any, error) {
	ifs, err := s.interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]bundle.IfaceFacts, 0, len(ifs))
	for _, i := range ifs {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		f := bundle.IfaceFacts{Name: i.Name, Index: i.Index, MTU: i.MTU, MAC: i.HardwareAddr.String(), Flags: []string{}, Addresses: []string{}}
		if i.Flags != 0 {
			f.Flags = strings.Split(i.Flags.String(), "|")
		}
		addrs, err := s.addrs(i)
		if err != nil {
			f.Error = err.Error()
		}
		for _, a := range addrs {
			f.Addresses = append(f.Addresses, a.String())
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *sources) routes4(ctx context.Context) (any, error) {
	b, err := s.readFile("/proc/net/route")
	if errors.Is(err, fs.ErrNotExist) && runtime.GOOS != "linux" {
		return s.routeCommand(ctx)
	}
	if err != nil {
		return nil, err
	}
	return parseProcRoute(b)
}

func (s *sources) routes6(ctx context.Context) (any, error) {
	b, err := s.readFile("/proc/net/ipv6_route")
	if errors.Is(err, fs.ErrNotExist) {
		if runtime.GOOS != "linux" {
			return nil, errUnsupported // netstat -rn (routes) shows both families
		}
		return nil, errors.New("no IPv6 (/proc/net/ipv6_route is missing)")
	}
	if err != nil {
		return nil, err
	}
	return parseIPv6Route(b)
}

// routeCommand prints the routing table where there is no /proc.
func (s *sources) routeCommand(ctx context.Context) (any, error) {
	name, args := "netstat", []string{"-rn"}
	if runtime.GOOS == "windows" {
		name, args = "route", []string{"print"}
	}
	if _, err := s.lookPath(name); err != nil {
		return nil, errUnsupported
	}
	out, err := s.command(ctx, name, args...)
	return bundle.RouteText{Command: name + " " + strings.Join(args, " "), Lines: lines(out, 500)}, err
}

// lines splits a command's output, at most max lines.
func lines(b []byte, max int) []string {
	out := []string{}
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if len(out) == max {
			out = append(out, "…")
			break
		}
		out = append(out, strings.TrimRight(l, "\r"))
	}
	return out
}

// Route flags (linux/route.h).
var routeFlags = []struct {
	bit  uint32
	name string
}{{0x0001, "up"}, {0x0002, "gateway"}, {0x0004, "host"}, {0x0008, "reinstate"}, {0x0010, "dynamic"}, {0x0020, "modified"}, {0x0200, "reject"}, {0x00040000, "default"}, {0x00400000, "addrconf"}, {0x01000000, "cache"}}

func flagNames(f uint32) []string {
	out := []string{}
	for _, rf := range routeFlags {
		if f&rf.bit != 0 {
			out = append(out, rf.name)
		}
	}
	return out
}

// parseProcRoute reads /proc/net/route: a header, then one route a line
// with the addresses as 32-bit hexadecimal numbers in host (little-endian
// on every platform Relais runs on) order.
func parseProcRoute(b []byte) ([]bundle.Route, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	out := []bundle.Route{}
	first := true
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if first {
			first = false
			if len(f) > 0 && f[0] == "Iface" {
				continue
			}
		}
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return out, fmt.Errorf("/proc/net/route: short line (%d fields)", len(f))
		}
		dst, err1 := hexIPv4(f[1])
		gw, err2 := hexIPv4(f[2])
		flags, err3 := strconv.ParseUint(f[3], 16, 32)
		metric, err4 := strconv.ParseUint(f[6], 10, 32)
		mask, err5 := hexIPv4(f[7])
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return out, fmt.Errorf("/proc/net/route: %w", err)
		}
		r := bundle.Route{Iface: f[0], Metric: uint32(metric), Flags: flagNames(uint32(flags))}
		m := binary.BigEndian.Uint32(mask.AsSlice())
		if ones := bits.OnesCount32(m); m == ^uint32(0)<<(32-ones) || ones == 0 {
			r.Destination = netip.PrefixFrom(dst, ones).String()
		} else {
			r.Destination = dst.String() + "/" + mask.String() // a mask that is no prefix
		}
		if gw.IsValid() && !gw.IsUnspecified() {
			r.Gateway = gw.String()
		}
		if len(f) > 8 {
			if mtu, err := strconv.Atoi(f[8]); err == nil && mtu > 0 {
				r.MTU = mtu
			}
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// hexIPv4 reads an address of /proc/net/route: 8 hex digits, little-endian.
func hexIPv4(s string) (netip.Addr, error) {
	if len(s) != 8 {
		return netip.Addr{}, fmt.Errorf("bad address %q", truncate(s, 16))
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("bad address %q", truncate(s, 16))
	}
	var a [4]byte
	binary.LittleEndian.PutUint32(a[:], uint32(v))
	return netip.AddrFrom4(a), nil
}

// parseIPv6Route reads /proc/net/ipv6_route: destination, its prefix
// length, source, its length, next hop (32 and 2 hex digits each), metric,
// reference count, use, flags (8 hex digits each), interface.
func parseIPv6Route(b []byte) ([]bundle.Route, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	out := []bundle.Route{}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return out, fmt.Errorf("/proc/net/ipv6_route: short line (%d fields)", len(f))
		}
		dst, err1 := hexIPv6(f[0])
		dlen, err2 := strconv.ParseUint(f[1], 16, 8)
		src, err3 := hexIPv6(f[2])
		slen, err4 := strconv.ParseUint(f[3], 16, 8)
		gw, err5 := hexIPv6(f[4])
		metric, err6 := strconv.ParseUint(f[5], 16, 32)
		flags, err7 := strconv.ParseUint(f[8], 16, 32)
		if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
			return out, fmt.Errorf("/proc/net/ipv6_route: %w", err)
		}
		if dlen > 128 || slen > 128 {
			return out, errors.New("/proc/net/ipv6_route: prefix length over 128")
		}
		r := bundle.Route{Iface: f[9], Destination: netip.PrefixFrom(dst, int(dlen)).String(), Metric: uint32(metric), Flags: flagNames(uint32(flags))}
		if slen > 0 {
			r.Source = netip.PrefixFrom(src, int(slen)).String()
		}
		if !gw.IsUnspecified() {
			r.Gateway = gw.String()
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

func hexIPv6(s string) (netip.Addr, error) {
	var a [16]byte
	if len(s) != 32 {
		return netip.Addr{}, fmt.Errorf("bad address %q", truncate(s, 40))
	}
	if _, err := hex.Decode(a[:], []byte(s)); err != nil {
		return netip.Addr{}, fmt.Errorf("bad address %q", truncate(s, 40))
	}
	return netip.AddrFrom16(a), nil
}

func (s *sources) resolvConf(context.Context) (any, error) {
	b, err := s.readFile("/etc/resolv.conf")
	if errors.Is(err, fs.ErrNotExist) && runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		return nil, errUnsupported
	}
	if err != nil {
		return nil, err
	}
	return parseResolvConf(b), nil
}

// parseResolvConf is resolv.conf(5) as the bundle keeps it.
func parseResolvConf(b []byte) bundle.ResolvConf { return bundle.ResolvConf(resolvconf.Parse(b)) }

// resolvectl is `resolvectl status`, where systemd-resolved runs.
func (s *sources) resolvectl(ctx context.Context) (any, error) {
	if _, err := s.lookPath("resolvectl"); err != nil {
		return nil, errUnsupported
	}
	out, err := s.command(ctx, "resolvectl", "status", "--no-pager")
	return lines(out, 400), err
}

// proxyVars are the proxy variables programs honour (both cases).
var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY"}

func (s *sources) proxy(context.Context) (any, error) {
	m := map[string]string{}
	for _, k := range proxyVars {
		for _, name := range []string{k, strings.ToLower(k)} {
			if v := s.getenv(name); v != "" {
				m[name] = v
			}
		}
	}
	return m, nil
}

// probeTimeout bounds each probe of a gateway (within the collector's
// deadline).
const probeTimeout = time.Second

// gateways probes every default gateway (at most 4) at once.
func (s *sources) gateways(ctx context.Context) (any, error) {
	var gws []bundle.Route
	var errs []error
	if b, err := s.readFile("/proc/net/route"); err == nil {
		rs, err := parseProcRoute(b)
		errs = append(errs, err)
		for _, r := range rs {
			if r.Destination == "0.0.0.0/0" && r.Gateway != "" {
				gws = append(gws, r)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if b, err := s.readFile("/proc/net/ipv6_route"); err == nil {
		rs, err := parseIPv6Route(b)
		errs = append(errs, err)
		for _, r := range rs {
			if r.Destination == "::/0" && r.Gateway != "" {
				gws = append(gws, r)
			}
		}
	}
	if len(gws) == 0 {
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		if runtime.GOOS != "linux" {
			return nil, errUnsupported
		}
		return []bundle.GatewayProbe{}, errors.New("no default gateway")
	}
	if len(gws) > 4 {
		gws = gws[:4]
	}
	out := make([]bundle.GatewayProbe, len(gws))
	var wg sync.WaitGroup
	for i, r := range gws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.probeGateway(ctx, r)
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

func (s *sources) probeGateway(ctx context.Context, r bundle.Route) bundle.GatewayProbe {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	p := bundle.GatewayProbe{Address: r.Gateway, Iface: r.Iface}
	host := r.Gateway
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && a.IsLinkLocalUnicast() {
		host += "%" + r.Iface
	}
	// ping's options differ between systems: Linux's iputils only.
	if path, err := s.lookPath("ping"); err == nil && runtime.GOOS == "linux" {
		p.Method = "ping"
		start := time.Now()
		out, err := s.command(ctx, path, "-c1", "-W1", "-n", host)
		var exit *exec.ExitError
		switch {
		case err == nil:
			p.Reachable, p.RTTMS = true, ms(time.Since(start))
			return p
		case errors.As(err, &exit) && exit.ExitCode() == 1:
			p.Detail = "no reply"
			return p
		}
		// ping could not run (no permission for ICMP): try TCP.
		p.Detail = "ping: " + firstLine(out, err)
	}
	p.Method = "tcp"
	type answer struct {
		port   string
		ok     bool
		detail string
		rtt    time.Duration
	}
	ports := []string{"53", "80", "443"}
	answers := make(chan answer, len(ports))
	dial := s.dial // the probes may outlive this call: they must not read s
	for _, port := range ports {
		go func() {
			start := time.Now()
			c, err := dial(ctx, "tcp", net.JoinHostPort(host, port))
			switch {
			case err == nil:
				c.Close()
				answers <- answer{port, true, "port " + port + " open", time.Since(start)}
			case isRefused(err):
				answers <- answer{port, true, "port " + port + " refused", time.Since(start)}
			default:
				answers <- answer{port: port, detail: err.Error()}
			}
		}()
	}
	var last string
	for range ports {
		a := <-answers
		if a.ok {
			p.Reachable, p.RTTMS, p.Detail = true, ms(a.rtt), a.detail
			return p
		}
		last = a.detail
	}
	p.Detail = last
	return p
}

func firstLine(out []byte, err error) string {
	if l, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n"); l != "" {
		return truncate(l, 200)
	}
	return err.Error()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
