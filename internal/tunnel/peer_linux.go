//go:build linux

package tunnel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// On Linux a local peer is the uid that owns the connecting socket: the
// kernel's socket diagnostics (NETLINK_SOCK_DIAG, what ss(8) uses) are
// asked first, /proc/net/tcp{,6} read when they cannot answer.

// ownerPeer names the owner of the proxies: uid, or this process's uid.
func ownerPeer(uid *uint32) (peerID, error) {
	if uid != nil {
		return uidPeer(*uid), nil
	}
	return uidPeer(uint32(os.Getuid())), nil
}

func uidPeer(uid uint32) peerID { return peerID("uid " + strconv.FormatUint(uint64(uid), 10)) }

// identifyPeer returns the uid of the socket at the other end of c, a
// connection accepted on loopback: the socket whose local address is our
// remote address and whose remote address is our local address.
func identifyPeer(c net.Conn) (peerID, error) {
	src, dst, err := connEnds(c)
	if err != nil {
		return "", err
	}
	uid, diagErr := sockDiagUID(src, dst)
	if diagErr == nil {
		return uidPeer(uid), nil
	}
	uid, procErr := procNetUID(src, dst)
	if procErr == nil {
		return uidPeer(uid), nil
	}
	return "", fmt.Errorf("sock_diag: %v; /proc/net: %v", diagErr, procErr)
}

// connEnds returns the peer socket's local end (our remote address) and
// remote end (our local address).
func connEnds(c net.Conn) (src, dst netip.AddrPort, err error) {
	r, ok1 := c.RemoteAddr().(*net.TCPAddr)
	l, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return src, dst, errors.New("not a TCP connection")
	}
	return r.AddrPort(), l.AddrPort(), nil
}

// Linux's inet_diag ABI (linux/inet_diag.h), which x/sys/unix does not
// define.
const (
	inetDiagReqV2Len = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	inetDiagNoCookie = 0xffffffff
	sockDiagTimeout  = 2 * time.Second
)

// sockDiagUID asks the kernel for the one TCP socket whose ends are src
// and dst (an exact lookup, not a dump) and returns its uid. An IPv4 pair
// is also looked up as IPv4-mapped on an IPv6 socket.
func sockDiagUID(src, dst netip.AddrPort) (uint32, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_INET_DIAG)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(sockDiagTimeout.Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	type try struct {
		family uint8
		s, d   netip.Addr
	}
	tries := []try{{unix.AF_INET6, s, d}}
	if s.Is4() && d.Is4() {
		tries = []try{{unix.AF_INET, s, d}, {unix.AF_INET6, netip.AddrFrom16(s.As16()), netip.AddrFrom16(d.As16())}}
	}
	var lastErr error
	for i, t := range tries {
		uid, err := sockDiagExact(fd, uint32(i+1), t.family, netip.AddrPortFrom(t.s, src.Port()), netip.AddrPortFrom(t.d, dst.Port()))
		if err == nil {
			return uid, nil
		}
		lastErr = err
		if !errors.Is(err, unix.ENOENT) {
			break
		}
	}
	return 0, lastErr
}

func sockDiagExact(fd int, seq uint32, family uint8, src, dst netip.AddrPort) (uint32, error) {
	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(req[8:], seq)
	b := req[unix.NLMSG_HDRLEN:]
	b[0] = family
	b[1] = unix.IPPROTO_TCP
	ne.PutUint32(b[4:], 0xffffffff) // every state
	putSockID(b[8:], src, dst)
	ne.PutUint32(b[8+36:], 0) // any interface
	ne.PutUint32(b[8+40:], inetDiagNoCookie)
	ne.PutUint32(b[8+44:], inetDiagNoCookie)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}
	buf := make([]byte, 8<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return 0, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue // an answer to an earlier try, arrived late
			}
			switch m.Header.Type {
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return 0, errors.New("short netlink error")
				}
				if errno := -int32(ne.Uint32(m.Data)); errno != 0 {
					return 0, syscall.Errno(errno)
				}
				return 0, unix.ENOENT
			case unix.SOCK_DIAG_BY_FAMILY:
				return parseInetDiagMsg(m.Data, src, dst)
			}
		}
	}
}

// putSockID writes struct inet_diag_sockid's ports and addresses (network
// byte order).
func putSockID(b []byte, src, dst netip.AddrPort) {
	binary.BigEndian.PutUint16(b[0:], src.Port())
	binary.BigEndian.PutUint16(b[2:], dst.Port())
	copy(b[4:20], src.Addr().AsSlice())
	copy(b[20:36], dst.Addr().AsSlice())
}

// parseInetDiagMsg reads the uid from struct inet_diag_msg after checking
// that the kernel described the socket asked for.
func parseInetDiagMsg(m []byte, src, dst netip.AddrPort) (uint32, error) {
	if len(m) < inetDiagMsgLen {
		return 0, errors.New("short inet_diag answer")
	}
	want := make([]byte, 36)
	putSockID(want, src, dst)
	id := m[4 : 4+36]
	same := string(id) == string(want)
	if src.Addr().Is4() { // the ports and the first word of each address
		same = string(id[:8]) == string(want[:8]) && string(id[20:24]) == string(want[20:24])
	}
	if !same {
		return 0, errors.New("inet_diag answered about another socket")
	}
	return binary.NativeEndian.Uint32(m[64:68]), nil
}

// procNetUID finds the socket in /proc/net/tcp or /proc/net/tcp6.
func procNetUID(src, dst netip.AddrPort) (uint32, error) {
	files := []string{"/proc/net/tcp6"}
	if src.Addr().Unmap().Is4() {
		files = []string{"/proc/net/tcp", "/proc/net/tcp6"}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		uid, found, err := findProcNetTCP(f, binary.NativeEndian, src, dst)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if found {
			return uid, nil
		}
	}
	return 0, errors.New("no such socket")
}
