//go:build linux

package tunnel

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
)

// Both ways of finding the peer's uid find this process's own uid for a
// connection it made to itself, over IPv4 and IPv6 loopback.
func TestPeerUIDOfOwnConnection(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("%s: %v (skipped)", addr, err)
			continue
		}
		defer ln.Close()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()
		src, dst, err := connEnds(server)
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(os.Getuid())
		if uid, err := sockDiagUID(src, dst); err != nil || uid != want {
			t.Errorf("%s: sock_diag: uid %d %v, want %d", addr, uid, err, want)
		}
		if uid, err := procNetUID(src, dst); err != nil || uid != want {
			t.Errorf("%s: /proc/net: uid %d %v, want %d", addr, uid, err, want)
		}
		if id, err := identifyPeer(server); err != nil || id != peerID("uid "+strconv.Itoa(int(want))) {
			t.Errorf("%s: identifyPeer: %q %v", addr, id, err)
		}
		// A socket that does not exist is not found (fail closed), by
		// either way.
		gone := dst
		client.Close()
		server.Close()
		if _, err := sockDiagUID(src, netAddrPortPlus(gone)); err == nil {
			t.Errorf("%s: sock_diag found a socket that does not exist", addr)
		}
		if _, err := procNetUID(src, netAddrPortPlus(gone)); err == nil {
			t.Errorf("%s: /proc/net found a socket that does not exist", addr)
		}
	}
}

func netAddrPortPlus(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr(), a.Port()+1)
}
