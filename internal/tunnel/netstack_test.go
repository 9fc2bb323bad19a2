package tunnel

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Closing the netstack while the stack is sending a packet out must not
// crash the process. wireguard-go's netstack hands each outgoing packet
// to an unbuffered channel that its Close closes: a sender caught there
// (a gVisor goroutine answering a closed connection with a RST, in the
// CI run that found it; here a UDP writer nobody reads) panicked with
// "send on closed channel", a crash no recover can catch.
func TestNetstackCloseWhileSending(t *testing.T) {
	for i := 0; i < 20; i++ {
		dev, tnet, err := CreateNetstack([]netip.Addr{netip.MustParseAddr("10.99.0.2")}, nil, 1420)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tnet.DialUDPAddrPort(netip.AddrPort{}, netip.MustParseAddrPort("10.99.0.1:9"))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		started := make(chan struct{})
		go func() {
			defer wg.Done()
			close(started)
			for {
				// Nobody reads the device: the second write blocks
				// in the netstack's send until Close.
				if _, err := c.Write([]byte("ping")); err != nil {
					return
				}
			}
		}()
		<-started
		time.Sleep(5 * time.Millisecond) // let the writer block in the send
		if err := dev.Close(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		wg.Wait()
	}
}

// The fix above needs the link endpoint behind the netstack: a wireguard-go
// that renames its fields must be noticed here, not by a crash.
func TestNetstackInternalsFound(t *testing.T) {
	dev, _, err := CreateNetstack([]netip.Addr{netip.MustParseAddr("10.99.0.2")}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if dev.(*guardedTUN).ep == nil {
		t.Fatal("the netstack's link endpoint was not found")
	}
}
