package tunnel

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// procTCPEntry is one socket of /proc/net/tcp or /proc/net/tcp6: its two
// ends and the uid that owns it.
type procTCPEntry struct {
	Local, Remote netip.AddrPort
	UID           uint32
}

// maxProcNetLine bounds one line of /proc/net/tcp{,6} (the kernel writes
// about 150 bytes).
const maxProcNetLine = 4 << 10

var errProcNetLine = errors.New("malformed /proc/net/tcp line")

// parseProcNetTCPLine reads one socket line of /proc/net/tcp{,6}:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ...
//	 0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ...
//
// Addresses are the kernel's 32-bit words printed in hex in the machine's
// byte order (order), ports are plain hex numbers.
func parseProcNetTCPLine(line string, order binary.ByteOrder) (procTCPEntry, error) {
	f := strings.Fields(line)
	if len(f) < 8 || !strings.HasSuffix(f[0], ":") {
		return procTCPEntry{}, errProcNetLine
	}
	local, err := parseProcNetAddr(f[1], order)
	if err != nil {
		return procTCPEntry{}, err
	}
	remote, err := parseProcNetAddr(f[2], order)
	if err != nil {
		return procTCPEntry{}, err
	}
	uid, err := strconv.ParseUint(f[7], 10, 32)
	if err != nil {
		return procTCPEntry{}, errProcNetLine
	}
	return procTCPEntry{Local: local, Remote: remote, UID: uint32(uid)}, nil
}

// parseProcNetAddr reads "0100007F:0035" (IPv4) or 32 hex digits and a
// port (IPv6).
func parseProcNetAddr(s string, order binary.ByteOrder) (netip.AddrPort, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok || len(hexPort) != 4 || (len(hexAddr) != 8 && len(hexAddr) != 32) {
		return netip.AddrPort{}, errProcNetLine
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.AddrPort{}, errProcNetLine
	}
	b := make([]byte, 0, 16)
	for i := 0; i < len(hexAddr); i += 8 {
		w, err := strconv.ParseUint(hexAddr[i:i+8], 16, 32)
		if err != nil {
			return netip.AddrPort{}, errProcNetLine
		}
		var word [4]byte
		order.PutUint32(word[:], uint32(w))
		b = append(b, word[:]...)
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// formatProcNetTCPLine writes an entry as the kernel does (the fields the
// parser does not read are zero); the fuzz test uses it to check that
// parsing and writing agree.
func formatProcNetTCPLine(e procTCPEntry, order binary.ByteOrder) string {
	addr := func(ap netip.AddrPort) string {
		var b strings.Builder
		s := ap.Addr().AsSlice()
		for i := 0; i+4 <= len(s); i += 4 {
			fmt.Fprintf(&b, "%08X", order.Uint32(s[i:i+4]))
		}
		fmt.Fprintf(&b, ":%04X", ap.Port())
		return b.String()
	}
	return fmt.Sprintf("   0: %s %s 01 00000000:00000000 00:00000000 00000000 %5d        0 0 1 0000000000000000 20 4 30 10 -1",
		addr(e.Local), addr(e.Remote), e.UID)
}

// findProcNetTCP reads a /proc/net/tcp{,6} table and returns the uid of the
// socket whose local end is local and remote end remote (IPv4 ends also
// match their IPv4-mapped IPv6 form, as tcp6 lists them). Lines it cannot
// read are skipped; found is false when no socket matches.
func findProcNetTCP(r io.Reader, order binary.ByteOrder, local, remote netip.AddrPort) (uid uint32, found bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxProcNetLine)
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		e, err := parseProcNetTCPLine(sc.Text(), order)
		if err != nil {
			continue
		}
		if sameEnd(e.Local, local) && sameEnd(e.Remote, remote) {
			return e.UID, true, nil
		}
	}
	return 0, false, sc.Err()
}

// sameEnd compares two socket ends, an IPv4 address equal to its
// IPv4-mapped IPv6 form.
func sameEnd(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}
