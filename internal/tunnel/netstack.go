package tunnel

import (
	"net/netip"
	"os"
	"sync"

	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// CreateNetstack is netstack.CreateNetTUN with a device that is safe to
// close while packets still arrive.
//
// wireguard-go's Device.Close closes the TUN device before it stops the
// peers, so a packet decrypted in that window is written into a closed
// netstack; gVisor answers it (a RST for a connection already gone) and
// netstack's notifier sends on its closed channel: a panic that kills the
// process. Found by BenchmarkUpToFirstByte, which closes tunnels in a loop.
func CreateNetstack(local, dns []netip.Addr, mtu int) (tun.Device, *netstack.Net, error) {
	dev, tnet, err := netstack.CreateNetTUN(local, dns, mtu)
	if err != nil {
		return nil, nil, err
	}
	return &guardedTUN{Device: dev}, tnet, nil
}

// guardedTUN refuses writes once closed, and closes only when no write is
// in progress.
type guardedTUN struct {
	tun.Device
	mu     sync.RWMutex // held for reading by Write, for writing by Close
	closed bool
}

func (g *guardedTUN) Write(bufs [][]byte, offset int) (int, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return 0, os.ErrClosed
	}
	return g.Device.Write(bufs, offset)
}

func (g *guardedTUN) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.Device.Close()
}
