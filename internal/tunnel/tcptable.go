package tunnel

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Windows' GetExtendedTcpTable(TCP_TABLE_OWNER_PID_CONNECTIONS) answer,
// read here without a build tag so that its layout is tested everywhere
// (peer_windows.go calls the API).
const (
	tcpRowOwnerPIDLen  = 24 // MIB_TCPROW_OWNER_PID
	tcp6RowOwnerPIDLen = 56 // MIB_TCP6ROW_OWNER_PID
)

// findTCPTableOwner reads MIB_TCPTABLE_OWNER_PID (v4) or
// MIB_TCP6TABLE_OWNER_PID: dwNumEntries, then the rows, 4-byte aligned;
// it returns the process id of the connection from src to dst.
func findTCPTableOwner(table []byte, v4 bool, src, dst netip.AddrPort) (pid uint32, found bool, err error) {
	if len(table) < 4 {
		return 0, false, errors.New("TCP table: too short")
	}
	rowLen := tcp6RowOwnerPIDLen
	if v4 {
		rowLen = tcpRowOwnerPIDLen
	}
	n := int(binary.LittleEndian.Uint32(table))
	rows := table[4:]
	if n < 0 || n > len(rows)/rowLen {
		return 0, false, errors.New("TCP table: more entries than bytes")
	}
	for i := range n {
		e, pid := parseTCPRow(rows[i*rowLen:(i+1)*rowLen], v4)
		if sameEnd(e.Local, src) && sameEnd(e.Remote, dst) {
			return pid, true, nil
		}
	}
	return 0, false, nil
}

// parseTCPRow reads MIB_TCPROW_OWNER_PID (v4: state, local address, local
// port, remote address, remote port, pid) or MIB_TCP6ROW_OWNER_PID (local
// address, scope, port, remote address, scope, port, state, pid).
// Addresses are in network order; a port is in network order in the low
// 16 bits (the first two bytes) of its DWORD.
func parseTCPRow(row []byte, v4 bool) (procTCPEntry, uint32) {
	port := func(b []byte) uint16 { return binary.BigEndian.Uint16(b[:2]) }
	if v4 {
		la, _ := netip.AddrFromSlice(row[4:8])
		ra, _ := netip.AddrFromSlice(row[12:16])
		return procTCPEntry{Local: netip.AddrPortFrom(la, port(row[8:12])), Remote: netip.AddrPortFrom(ra, port(row[16:20]))},
			binary.LittleEndian.Uint32(row[20:24])
	}
	la, _ := netip.AddrFromSlice(row[0:16])
	ra, _ := netip.AddrFromSlice(row[24:40])
	return procTCPEntry{Local: netip.AddrPortFrom(la, port(row[20:24])), Remote: netip.AddrPortFrom(ra, port(row[44:48]))},
		binary.LittleEndian.Uint32(row[52:56])
}
