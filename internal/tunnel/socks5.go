package tunnel

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// SOCKS5 (RFC 1928) constants: no authentication, CONNECT only.
const (
	socksVersion       = 5
	socksNoAuth        = 0x00
	socksNoAcceptable  = 0xff
	socksCmdConnect    = 0x01
	socksAtypIPv4      = 0x01
	socksAtypDomain    = 0x03
	socksAtypIPv6      = 0x04
	socksSucceeded     = 0x00
	socksGeneralFail   = 0x01
	socksNotAllowed    = 0x02
	socksNetUnreach    = 0x03
	socksHostUnreach   = 0x04
	socksConnRefused   = 0x05
	socksTTLExpired    = 0x06
	socksCmdNotSupport = 0x07
	socksAtypNotSupp   = 0x08
)

// serveSOCKS5 handles one SOCKS5 client: method negotiation (no
// authentication: the proxy listens on loopback only and serves its owner
// only, see peer.go), one CONNECT, then the relay.
func serveSOCKS5(p *proxyServer, c net.Conn) {
	target, ok := readSOCKS5Request(c)
	if !ok {
		return
	}
	remote, err := p.dialUpstream("tcp", target)
	if err != nil {
		p.logf("tunnel: socks5: %v", err)
		socksReply(c, socksErrorCode(err), nil)
		return
	}
	if !socksReply(c, socksSucceeded, remote.LocalAddr()) {
		p.untrack(remote)
		return
	}
	_ = c.SetDeadline(time.Time{})
	p.pipe(c, remote)
}

// refuseSOCKS5 answers a refused client's request without dialling it:
// 0x02 (connection not allowed by ruleset) to a user who is not the
// owner or cannot be identified, 0x01 (general failure) over the per-peer
// bound.
func refuseSOCKS5(_ *proxyServer, c net.Conn, v verdict) {
	if _, ok := readSOCKS5Request(c); !ok {
		return
	}
	code := byte(socksNotAllowed)
	if v == refusedBusy {
		code = socksGeneralFail
	}
	socksReply(c, code, nil)
}

// readSOCKS5Request negotiates the method and reads one CONNECT request,
// answering the requests the proxy does not take; ok is false when the
// connection must end.
func readSOCKS5Request(c net.Conn) (target string, ok bool) {
	_ = c.SetDeadline(time.Now().Add(proxyHandshakeTimeout))
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != socksVersion {
		return "", false
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return "", false
	}
	if !containsByte(methods, socksNoAuth) {
		_, _ = c.Write([]byte{socksVersion, socksNoAcceptable})
		return "", false
	}
	if _, err := c.Write([]byte{socksVersion, socksNoAuth}); err != nil {
		return "", false
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[0] != socksVersion {
		return "", false
	}
	var host string
	switch req[3] {
	case socksAtypIPv4, socksAtypIPv6:
		n := 4
		if req[3] == socksAtypIPv6 {
			n = 16
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(c, b); err != nil {
			return "", false
		}
		a, _ := netip.AddrFromSlice(b)
		host = a.String()
	case socksAtypDomain:
		var l [1]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return "", false
		}
		b := make([]byte, l[0])
		if _, err := io.ReadFull(c, b); err != nil {
			return "", false
		}
		host = string(b)
	default:
		socksReply(c, socksAtypNotSupp, nil)
		return "", false
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return "", false
	}
	if req[1] != socksCmdConnect {
		socksReply(c, socksCmdNotSupport, nil)
		return "", false
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))), true
}

func containsByte(b []byte, x byte) bool {
	for _, v := range b {
		if v == x {
			return true
		}
	}
	return false
}

// socksReply writes a reply with the bound address (0.0.0.0:0 when
// unknown); false when the write failed.
func socksReply(c net.Conn, code byte, bound net.Addr) bool {
	ap := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if a, err := netip.ParseAddrPort(addrString(bound)); err == nil {
		ap = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	b := []byte{socksVersion, code, 0}
	if ap.Addr().Is4() {
		b = append(b, socksAtypIPv4)
	} else {
		b = append(b, socksAtypIPv6)
	}
	b = append(b, ap.Addr().AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	_, err := c.Write(b)
	return err == nil
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// socksErrorCode maps a dial failure to the RFC 1928 reply code a client
// can act on.
func socksErrorCode(err error) byte {
	var dnsErr *net.DNSError
	var ne net.Error
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, ErrOutsideTunnel):
		return socksNotAllowed
	case errors.As(err, &dnsErr):
		return socksHostUnreach
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return socksTTLExpired
	case strings.Contains(msg, "refused"):
		return socksConnRefused
	case strings.Contains(msg, "no route"), strings.Contains(msg, "network is unreachable"):
		return socksNetUnreach
	case strings.Contains(msg, "unreachable"), strings.Contains(msg, "no address"):
		return socksHostUnreach
	}
	return socksGeneralFail
}
