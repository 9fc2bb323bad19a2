package tunnel

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// Rows laid out as iphlpapi.h declares them (little-endian DWORDs,
// addresses and ports in network order).
func TestTCPTableOwner(t *testing.T) {
	le := binary.LittleEndian
	port := func(b []byte, p uint16) { binary.BigEndian.PutUint16(b, p) } // low word, network order
	client, proxy := netip.MustParseAddrPort("127.0.0.1:54321"), netip.MustParseAddrPort("127.0.0.1:1080")

	v4 := le.AppendUint32(nil, 2)
	row := func(local, remote netip.AddrPort, pid uint32) {
		r := make([]byte, tcpRowOwnerPIDLen)
		le.PutUint32(r[0:], 5) // MIB_TCP_STATE_ESTAB
		copy(r[4:8], local.Addr().AsSlice())
		port(r[8:], local.Port())
		copy(r[12:16], remote.Addr().AsSlice())
		port(r[16:], remote.Port())
		le.PutUint32(r[20:], pid)
		v4 = append(v4, r...)
	}
	row(proxy, client, 100) // the proxy's own accepted socket
	row(client, proxy, 4242)
	if pid, found, err := findTCPTableOwner(v4, true, client, proxy); err != nil || !found || pid != 4242 {
		t.Fatalf("v4: pid %d found %v %v, want 4242", pid, found, err)
	}
	if _, found, _ := findTCPTableOwner(v4, true, netip.MustParseAddrPort("127.0.0.1:54322"), proxy); found {
		t.Fatal("v4: found a connection not in the table")
	}

	c6, p6 := netip.MustParseAddrPort("[::1]:40000"), netip.MustParseAddrPort("[::1]:8080")
	v6 := le.AppendUint32(nil, 1)
	r := make([]byte, tcp6RowOwnerPIDLen)
	copy(r[0:16], c6.Addr().AsSlice())
	port(r[20:], c6.Port())
	copy(r[24:40], p6.Addr().AsSlice())
	port(r[44:], p6.Port())
	le.PutUint32(r[48:], 5)
	le.PutUint32(r[52:], 77)
	v6 = append(v6, r...)
	if pid, found, err := findTCPTableOwner(v6, false, c6, p6); err != nil || !found || pid != 77 {
		t.Fatalf("v6: pid %d found %v %v, want 77", pid, found, err)
	}

	// A count larger than the rows is an error, not a read past the end.
	bad := append(le.AppendUint32(nil, 3), v4[4:]...)
	if _, _, err := findTCPTableOwner(bad, true, client, proxy); err == nil {
		t.Fatal("a table claiming more rows than it holds was read")
	}
}
