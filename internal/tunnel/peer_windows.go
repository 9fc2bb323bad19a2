//go:build windows

package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows a local peer is the user of the process that owns the
// connecting port: GetExtendedTcpTable gives the process id of every TCP
// connection, the process's token gives its user (a SID). The owner is the
// user of this process (UserspaceOptions.ProxyOwnerUID is a Linux uid and
// is not used here). A process Relais may not open (another user's,
// usually) cannot be proved to be the owner's: it is refused.

var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetExtendedTcpTable = iphlpapi.NewProc("GetExtendedTcpTable")
)

const (
	tcpTableOwnerPIDConnections = 4 // TCP_TABLE_OWNER_PID_CONNECTIONS
)

// ownerPeer names the user of this process.
func ownerPeer(*uint32) (peerID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", err
	}
	return peerID("sid " + u.User.Sid.String()), nil
}

// identifyPeer returns the user of the process whose socket is the other
// end of c.
func identifyPeer(c net.Conn) (peerID, error) {
	r, ok1 := c.RemoteAddr().(*net.TCPAddr)
	l, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return "", errors.New("not a TCP connection")
	}
	pid, err := tcpOwnerPID(r.AddrPort(), l.AddrPort())
	if err != nil {
		return "", err
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return "", fmt.Errorf("process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err != nil {
		return "", fmt.Errorf("process %d's token: %w", pid, err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("process %d's user: %w", pid, err)
	}
	return peerID("sid " + u.User.Sid.String()), nil
}

// tcpOwnerPID finds the process owning the connection from src to dst.
func tcpOwnerPID(src, dst netip.AddrPort) (uint32, error) {
	v4 := src.Addr().Unmap().Is4() && dst.Addr().Unmap().Is4()
	family := uint32(windows.AF_INET6)
	if v4 {
		family = windows.AF_INET
	}
	table, err := extendedTCPTable(family)
	if err != nil {
		return 0, err
	}
	pid, found, err := findTCPTableOwner(table, v4, src, dst)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New("no such connection in the TCP table")
	}
	return pid, nil
}

// extendedTCPTable returns GetExtendedTcpTable's connections with their
// owning process, growing the buffer while the table grows.
func extendedTCPTable(family uint32) ([]byte, error) {
	if err := procGetExtendedTcpTable.Find(); err != nil {
		return nil, err
	}
	size := uint32(16 << 10)
	for range 8 {
		buf := make([]byte, size)
		r, _, _ := procGetExtendedTcpTable.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)),
			0, uintptr(family), tcpTableOwnerPIDConnections, 0)
		switch windows.Errno(r) {
		case windows.ERROR_SUCCESS:
			return buf[:min(int(size), len(buf))], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += 4 << 10 // connections may appear between the calls
			continue
		default:
			return nil, fmt.Errorf("GetExtendedTcpTable: %w", windows.Errno(r))
		}
	}
	return nil, errors.New("GetExtendedTcpTable: the table keeps growing")
}
