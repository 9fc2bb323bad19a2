package tunnel

import (
	"net/netip"
	"os"
	"reflect"
	"sync"

	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
)

// CreateNetstack is netstack.CreateNetTUN with a device that is safe to
// close while packets still come and go.
//
// wireguard-go's netstack hands every packet the stack sends out (an
// answer, a RST for a connection already gone, a write from any
// goroutine) to an unbuffered channel that its Close closes: a sender
// caught there panics with "send on closed channel", a crash of the whole
// process no recover can catch (wireguard-go pull requests 85 and 134, not
// merged). It happens both ways: wireguard-go's Device.Close closes the
// TUN device before it stops the peers, so a packet decrypted in that
// window is written into a closed netstack and answered (found by
// BenchmarkUpToFirstByte, which closes tunnels in a loop); and gVisor's
// own goroutines still send while the device closes (found by CI, in the
// demo office).
//
// So the device takes the stack's outgoing packets itself: it replaces the
// netstack's notification with its own, whose send gives up once the
// device is closed, and never closes the channel senders use.
func CreateNetstack(local, dns []netip.Addr, mtu int) (tun.Device, *netstack.Net, error) {
	dev, tnet, err := netstack.CreateNetTUN(local, dns, mtu)
	if err != nil {
		return nil, nil, err
	}
	g := &guardedTUN{Device: dev, out: make(chan *buffer.View), done: make(chan struct{})}
	if ep, h := internalsOf(tnet); ep != nil && h != nil {
		g.ep = ep
		ep.AddNotify(g)
		ep.RemoveNotify(h)
	}
	return g, tnet, nil
}

// internalsOf finds the link endpoint and the notification handle behind a
// netstack.Net, which does not export them. Nil if a new wireguard-go
// renamed them: TestNetstackInternalsFound then fails, and the device
// falls back to the netstack's own channel.
func internalsOf(tnet *netstack.Net) (*channel.Endpoint, *channel.NotificationHandle) {
	v := reflect.ValueOf(tnet)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, nil
	}
	ep := v.Elem().FieldByName("ep")
	h := v.Elem().FieldByName("notifyHandle")
	if !ep.IsValid() || ep.Type() != reflect.TypeOf((*channel.Endpoint)(nil)) ||
		!h.IsValid() || h.Type() != reflect.TypeOf((*channel.NotificationHandle)(nil)) {
		return nil, nil
	}
	return (*channel.Endpoint)(ep.UnsafePointer()), (*channel.NotificationHandle)(h.UnsafePointer())
}

// guardedTUN refuses writes once closed, closes only when no write is in
// progress, and hands out the stack's packets through out, whose senders
// give up when done closes.
type guardedTUN struct {
	tun.Device
	ep   *channel.Endpoint // nil: the netstack's own Read
	out  chan *buffer.View
	done chan struct{}

	mu     sync.RWMutex // held for reading by Write, for writing by Close
	closed bool
}

// WriteNotify is called by the link endpoint, on the stack's goroutine,
// for each packet the stack sends out.
func (g *guardedTUN) WriteNotify() {
	pkt := g.ep.Read()
	if pkt == nil {
		return
	}
	view := pkt.ToView()
	pkt.DecRef()
	select {
	case g.out <- view:
	case <-g.done:
		view.Release()
	}
}

func (g *guardedTUN) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	if g.ep == nil {
		return g.Device.Read(bufs, sizes, offset)
	}
	select {
	case view := <-g.out:
		n, err := view.Read(bufs[0][offset:])
		view.Release()
		if err != nil {
			return 0, err
		}
		sizes[0] = n
		return 1, nil
	case <-g.done:
		return 0, os.ErrClosed
	}
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
	close(g.done)
	return g.Device.Close()
}
