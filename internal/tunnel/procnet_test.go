package tunnel

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

// A /proc/net/tcp and tcp6 as a little-endian kernel writes them: a
// listener, the proxy's accepted socket and the client's socket.
const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41231 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0438 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 41299 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D431 0100007F:0438 01 00000000:00000000 00:00000000 00000000 65534        0 41298 1 0000000000000000 20 4 29 10 -1
`

const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:9C4E 01 00000000:00000000 00:00000000 00000000  1000        0 5001 1 0000000000000000 20 4 30 10 -1
   1: 00000000000000000000000001000000:9C4E 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000    33        0 5002 1 0000000000000000 20 4 30 10 -1
   2: 0000000000000000FFFF00000100007F:A000 0000000000000000FFFF00000100007F:0438 01 00000000:00000000 00:00000000 00000000    42        0 5003 1 0000000000000000 20 4 30 10 -1
`

func TestProcNetTCPFindsThePeerSocket(t *testing.T) {
	le := binary.LittleEndian
	proxy := netip.MustParseAddrPort("127.0.0.1:1080")
	client := netip.MustParseAddrPort("127.0.0.1:54321")
	// The client's socket (local = the client's end), not the proxy's
	// accepted one with the same two ends the other way round.
	uid, found, err := findProcNetTCP(strings.NewReader(procNetTCP), le, client, proxy)
	if err != nil || !found || uid != 65534 {
		t.Fatalf("client socket: uid %d found %v err %v, want 65534", uid, found, err)
	}
	uid, found, _ = findProcNetTCP(strings.NewReader(procNetTCP), le, proxy, client)
	if !found || uid != 1000 {
		t.Fatalf("proxy socket: uid %d found %v, want 1000", uid, found)
	}
	if _, found, _ := findProcNetTCP(strings.NewReader(procNetTCP), le, netip.MustParseAddrPort("127.0.0.1:54322"), proxy); found {
		t.Fatal("found a socket that is not in the table")
	}
	v6c, v6p := netip.MustParseAddrPort("[::1]:40014"), netip.MustParseAddrPort("[::1]:8080")
	if uid, found, _ := findProcNetTCP(strings.NewReader(procNetTCP6), le, v6c, v6p); !found || uid != 33 {
		t.Fatalf("::1 client: uid %d found %v, want 33", uid, found)
	}
	// An IPv4 client on an IPv6 socket is listed IPv4-mapped in tcp6.
	if uid, found, _ := findProcNetTCP(strings.NewReader(procNetTCP6), le, netip.MustParseAddrPort("127.0.0.1:40960"), proxy); !found || uid != 42 {
		t.Fatalf("mapped client: uid %d found %v, want 42", uid, found)
	}
}

func TestProcNetTCPLine(t *testing.T) {
	e, err := parseProcNetTCPLine("   2: 0100007F:D431 0100007F:0438 01 00000000:00000000 00:00000000 00000000 65534        0 41298", binary.LittleEndian)
	want := procTCPEntry{Local: netip.MustParseAddrPort("127.0.0.1:54321"), Remote: netip.MustParseAddrPort("127.0.0.1:1080"), UID: 65534}
	if err != nil || e != want {
		t.Fatalf("got %+v %v, want %+v", e, err, want)
	}
	// A big-endian kernel prints the same address the other way round.
	if e, err := parseProcNetTCPLine("   2: 7F000001:D431 7F000001:0438 01 00000000:00000000 00:00000000 00000000 65534 0 1", binary.BigEndian); err != nil || e != want {
		t.Fatalf("big endian: %+v %v", e, err)
	}
	for _, bad := range []string{
		"",
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
		"   0: 0100007F:0438 00000000:0000 0A",                                               // too short
		"   0: 0100007F:0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 0", // negative uid
		"   0: 0100007F:0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 4294967296 0 0",
		"   0: 0100007G:0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0", // not hex
		"   0: 0100007F:438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0",  // short port
		"   0: 0100007F0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0",  // no colon
		"   0: 00007F:0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0",   // short address
		"   0: 0100007F:+438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0",
		"   0 0100007F:0438 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0", // no slot colon
	} {
		if e, err := parseProcNetTCPLine(bad, binary.LittleEndian); err == nil {
			t.Errorf("%q: parsed as %+v", bad, e)
		}
	}
}

// A table whose lines are too long or broken is skipped line by line or
// refused as a whole, never misread.
func TestProcNetTCPHostileTable(t *testing.T) {
	proxy := netip.MustParseAddrPort("127.0.0.1:1080")
	client := netip.MustParseAddrPort("127.0.0.1:54321")
	junk := "header\n garbage\n\x00\x00\n   9: 0100007F:D431\n" + strings.Split(procNetTCP, "\n")[3] + "\n"
	if uid, found, err := findProcNetTCP(strings.NewReader(junk), binary.LittleEndian, client, proxy); err != nil || !found || uid != 65534 {
		t.Fatalf("after junk: %d %v %v", uid, found, err)
	}
	long := "header\n" + strings.Repeat("A", 2*maxProcNetLine) + "\n"
	if _, found, err := findProcNetTCP(strings.NewReader(long), binary.LittleEndian, client, proxy); err == nil || found {
		t.Fatalf("an over-long line: found %v err %v, want an error", found, err)
	}
}

func FuzzProcNetTCPLine(f *testing.F) {
	for _, l := range strings.Split(procNetTCP+procNetTCP6, "\n") {
		f.Add(l)
	}
	f.Add("   0: 0100007F:FFFF FFFFFFFF:0000 0A 0:0 0:0 0 4294967295 0 0")
	f.Fuzz(func(t *testing.T, line string) {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			e, err := parseProcNetTCPLine(line, order)
			if err != nil {
				continue
			}
			if !e.Local.Addr().IsValid() || !e.Remote.Addr().IsValid() {
				t.Fatalf("%q: invalid address in %+v", line, e)
			}
			// What was read is what the kernel would have written.
			again, err := parseProcNetTCPLine(formatProcNetTCPLine(e, order), order)
			if err != nil || again != e {
				t.Fatalf("%q: read %+v, written and read again %+v %v", line, e, again, err)
			}
			// And findProcNetTCP finds it.
			uid, found, err := findProcNetTCP(strings.NewReader("header\n"+line+"\n"), order, e.Local, e.Remote)
			if err == nil && (!found || uid != e.UID) && len(line) < maxProcNetLine && !strings.ContainsAny(line, "\n\r") {
				t.Fatalf("%q: findProcNetTCP: %d %v", line, uid, found)
			}
		}
	})
}
