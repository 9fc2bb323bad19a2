package checks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"relais/internal/profile"
)

// errTunnelDown is returned for a via=tunnel probe when the Runner has no tunnel.
var errTunnelDown = errors.New("checks: tunnel down")

// Dialer connects to an address. tunnel.Tunnel satisfies it; so does *net.Dialer. Every call
// carries a deadline in ctx and must return by it.
type Dialer interface {
	Dial(ctx context.Context, network, address string) (net.Conn, error)
}

// netDialer adapts *net.Dialer, whose method is DialContext.
type netDialer struct{ d net.Dialer }

func (n *netDialer) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	return n.d.DialContext(ctx, network, address)
}

// route is how one probe reaches the network.
type route struct {
	r      *Runner
	tunnel bool // via = "tunnel"
	clock  *phaseClock
	// allowLocal lets the probe connect to this machine or its link
	// (profile.IsLocalAddr): a check that says allow_local, or a built-in,
	// whose URL is Relais's own.
	allowLocal bool
}

// localTargetError is a target that is, or resolves to, only addresses of
// this machine or its link, for a check that does not say allow_local: a
// local service (or the cloud metadata service) would answer, not the
// organisation, so the probe does not connect.
type localTargetError struct {
	host string
	addr netip.Addr
}

func (e *localTargetError) Error() string {
	if e.host == e.addr.String() {
		return fmt.Sprintf("checks: %s is an address of this computer or its link, and the check does not say allow_local = true", e.host)
	}
	return fmt.Sprintf("checks: %s resolves to %s, an address of this computer or its link, and the check does not say allow_local = true", e.host, e.addr)
}

func (r *Runner) route(via string, clock *phaseClock) *route {
	return &route{r: r, tunnel: via != "direct", clock: clock}
}

func (rt *route) dialer() (Dialer, error) {
	if rt.tunnel {
		if rt.r.Tunnel == nil {
			return nil, errTunnelDown
		}
		return rt.r.Tunnel, nil
	}
	if rt.r.Direct != nil {
		return rt.r.Direct, nil
	}
	return &netDialer{}, nil
}

// tunnelDNS reports whether name must be resolved by the tunnel's resolvers through the
// tunnel.
func (rt *route) tunnelDNS(name string) bool {
	if !rt.tunnel || len(rt.r.TunnelDNS) == 0 {
		return false
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, d := range rt.r.DNSDomains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// resolveError marks an error that happened while resolving a name.
type resolveError struct{ err error }

func (e *resolveError) Error() string { return e.err.Error() }
func (e *resolveError) Unwrap() error { return e.err }

// resolve returns host's addresses, timing the DNS phase. Names under DNSDomains reached
// through the tunnel are asked of TunnelDNS through the tunnel, whatever the Dialer does
// with names (a generic Dialer would use the system resolver, which does not know them);
// other names go to the system resolver.
func (rt *route) resolve(ctx context.Context, host string) (_ []netip.Addr, err error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	start := time.Now()
	rt.clock.resolving(true)
	defer func() {
		rt.clock.add(func(p *Phases) {
			p.DNS += time.Since(start)
			rt.clock.inDNS = false
			var re *resolveError
			if errors.As(err, &re) {
				rt.clock.dnsFailed = true
			}
		})
	}()
	if rt.tunnelDNS(host) {
		d, err := rt.dialer()
		if err != nil {
			return nil, err
		}
		addrs, rcode, err := rt.r.query(ctx, d, host)
		if err != nil {
			return nil, &resolveError{err}
		}
		if rcode != dnsmessage.RCodeSuccess {
			return nil, &resolveError{&rcodeError{name: host, rcode: rcodeName(rcode)}}
		}
		if len(addrs) == 0 {
			return nil, &resolveError{&net.DNSError{Err: "no address", Name: host, IsNotFound: true}}
		}
		return addrs, nil
	}
	lookup := rt.r.LookupNetIP
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	addrs, err := lookup(ctx, "ip", host)
	if err != nil {
		return nil, &resolveError{err}
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, nil
}

// dial resolves and connects, timing both phases. It tries every address in turn until
// one answers or the deadline passes.
func (rt *route) dial(ctx context.Context, network, address string) (net.Conn, error) {
	d, err := rt.dialer()
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	addrs, err := rt.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	if !rt.allowLocal {
		// Checked on what the name resolves to, at each dial: a name the
		// profile made look remote, or whose answer changes, is held to
		// the same rule as a literal address.
		remote := make([]netip.Addr, 0, len(addrs))
		for _, a := range addrs {
			if !profile.IsLocalAddr(a) {
				remote = append(remote, a)
			}
		}
		if len(remote) == 0 {
			return nil, &localTargetError{host: host, addr: addrs[0]}
		}
		addrs = remote
	}
	start := time.Now()
	defer rt.clock.add(func(p *Phases) { p.Connect += time.Since(start) })
	var last error
	for _, a := range addrs {
		c, err := d.Dial(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

// rcodeError is a DNS answer with an error code.
type rcodeError struct{ name, rcode string }

func (e *rcodeError) Error() string { return "checks: " + e.name + ": " + e.rcode }

// rcodeName is the conventional upper-case name of a DNS response code.
func rcodeName(c dnsmessage.RCode) string {
	switch c {
	case dnsmessage.RCodeSuccess:
		return "NOERROR"
	case dnsmessage.RCodeFormatError:
		return "FORMERR"
	case dnsmessage.RCodeServerFailure:
		return "SERVFAIL"
	case dnsmessage.RCodeNameError:
		return "NXDOMAIN"
	case dnsmessage.RCodeNotImplemented:
		return "NOTIMP"
	case dnsmessage.RCodeRefused:
		return "REFUSED"
	}
	return fmt.Sprintf("RCODE%d", c)
}

// query asks the tunnel's resolvers for name's A records, then AAAA when there are none.
// The rcode is the A query's.
func (r *Runner) query(ctx context.Context, d Dialer, name string) ([]netip.Addr, dnsmessage.RCode, error) {
	addrs, rcode, err := r.exchange(ctx, d, name, dnsmessage.TypeA)
	if err != nil || rcode != dnsmessage.RCodeSuccess || len(addrs) > 0 {
		return addrs, rcode, err
	}
	six, rc6, err := r.exchange(ctx, d, name, dnsmessage.TypeAAAA)
	if err == nil && rc6 == dnsmessage.RCodeSuccess {
		addrs = six
	}
	return addrs, rcode, nil
}

// dnsRetransmit is how long to wait for a UDP answer before asking again (or asking the
// next resolver): lost packets are common on the networks Relais is used on.
const dnsRetransmit = time.Second

// exchange sends one question over UDP, retransmitting (rotating through the resolvers)
// until an answer or the deadline, and falls back to TCP when the answer is truncated.
func (r *Runner) exchange(ctx context.Context, d Dialer, name string, qtype dnsmessage.Type) ([]netip.Addr, dnsmessage.RCode, error) {
	n, err := dnsmessage.NewName(strings.TrimSuffix(name, ".") + ".")
	if err != nil {
		return nil, 0, fmt.Errorf("checks: dns name %q: %w", name, err)
	}
	id := uint16(rand.Uint32())
	msg := dnsmessage.Message{Header: dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: n, Type: qtype, Class: dnsmessage.ClassINET}}}
	req, err := msg.Pack()
	if err != nil {
		return nil, 0, fmt.Errorf("checks: dns: %w", err)
	}
	if len(r.TunnelDNS) == 0 {
		return nil, 0, &net.DNSError{Err: "no resolver", Name: name}
	}
	var last error
	for i := 0; ctx.Err() == nil; i++ {
		server := netip.AddrPortFrom(r.TunnelDNS[i%len(r.TunnelDNS)], 53).String()
		resp, err := udpExchange(ctx, d, server, req, id)
		if err != nil {
			last = err
			continue
		}
		if resp.Truncated {
			if resp, err = tcpExchange(ctx, d, server, req, id); err != nil {
				last = err
				continue
			}
		}
		return answers(resp), resp.RCode, nil
	}
	if last == nil || errors.Is(last, os.ErrDeadlineExceeded) || isTimeout(last) {
		return nil, 0, &net.DNSError{Err: "no answer from the tunnel's DNS", Name: name, Server: r.TunnelDNS[0].String(), IsTimeout: true}
	}
	return nil, 0, last
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func udpExchange(ctx context.Context, d Dialer, server string, req []byte, id uint16) (*dnsmessage.Message, error) {
	c, err := d.Dial(ctx, "udp", server)
	if err != nil {
		if ctx.Err() == nil {
			// A refused or unroutable UDP "connection" must not spin: wait one retransmit.
			select {
			case <-ctx.Done():
			case <-time.After(dnsRetransmit / 4):
			}
		}
		return nil, err
	}
	defer c.Close()
	deadline := time.Now().Add(dnsRetransmit)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		var m dnsmessage.Message
		if m.Unpack(buf[:n]) != nil || m.ID != id || !m.Response {
			continue // not ours: keep waiting until the deadline
		}
		return &m, nil
	}
}

func tcpExchange(ctx context.Context, d Dialer, server string, req []byte, id uint16) (*dnsmessage.Message, error) {
	c, err := d.Dial(ctx, "tcp", server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	out := binary.BigEndian.AppendUint16(nil, uint16(len(req)))
	if _, err := c.Write(append(out, req...)); err != nil {
		return nil, err
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(c, buf); err != nil {
		return nil, err
	}
	var m dnsmessage.Message
	if err := m.Unpack(buf); err != nil {
		return nil, fmt.Errorf("checks: dns answer: %w", err)
	}
	if m.ID != id {
		return nil, errors.New("checks: dns answer for another question")
	}
	return &m, nil
}

// answers returns the A and AAAA addresses of an answer, in order.
func answers(m *dnsmessage.Message) []netip.Addr {
	var out []netip.Addr
	for _, rr := range m.Answers {
		switch b := rr.Body.(type) {
		case *dnsmessage.AResource:
			out = append(out, netip.AddrFrom4(b.A))
		case *dnsmessage.AAAAResource:
			out = append(out, netip.AddrFrom16(b.AAAA).Unmap())
		}
	}
	return out
}
