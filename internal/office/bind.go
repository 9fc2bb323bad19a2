package office

import (
	"errors"
	"net"
	"net/netip"
	"sync"

	"golang.zx2c4.com/wireguard/conn"
)

// loopbackBind is a WireGuard conn.Bind on one IPv4 UDP socket bound to
// 127.0.0.1: wireguard-go's standard bind listens on every interface, and
// the demo office must not be reachable from the network.
type loopbackBind struct {
	mu sync.Mutex // guards c
	c  *net.UDPConn
}

var _ conn.Bind = (*loopbackBind)(nil)

func (b *loopbackBind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c != nil {
		return nil, 0, conn.ErrBindAlreadyOpen
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
	if err != nil {
		return nil, 0, err
	}
	b.c = c
	recv := func(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		n, ap, err := c.ReadFromUDPAddrPort(packets[0])
		if err != nil {
			return 0, err
		}
		sizes[0], eps[0] = n, loopbackEndpoint(ap)
		return 1, nil
	}
	return []conn.ReceiveFunc{recv}, uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
}

func (b *loopbackBind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c == nil {
		return nil
	}
	err := b.c.Close()
	b.c = nil
	return err
}

func (b *loopbackBind) SetMark(uint32) error { return nil }

func (b *loopbackBind) Send(bufs [][]byte, ep conn.Endpoint) error {
	b.mu.Lock()
	c := b.c
	b.mu.Unlock()
	if c == nil {
		return net.ErrClosed
	}
	e, ok := ep.(loopbackEndpoint)
	if !ok {
		return conn.ErrWrongEndpointType
	}
	for _, buf := range bufs {
		if _, err := c.WriteToUDPAddrPort(buf, netip.AddrPort(e)); err != nil {
			return err
		}
	}
	return nil
}

func (b *loopbackBind) ParseEndpoint(s string) (conn.Endpoint, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, err
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return nil, errors.New("office: the demo office talks to loopback only")
	}
	return loopbackEndpoint(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())), nil
}

func (b *loopbackBind) BatchSize() int { return 1 }

// loopbackEndpoint is a peer's address as the office saw it.
type loopbackEndpoint netip.AddrPort

func (e loopbackEndpoint) ClearSrc()           {}
func (e loopbackEndpoint) SrcToString() string { return "" }
func (e loopbackEndpoint) DstToString() string { return netip.AddrPort(e).String() }
func (e loopbackEndpoint) DstToBytes() []byte {
	b, _ := netip.AddrPort(e).MarshalBinary()
	return b
}
func (e loopbackEndpoint) DstIP() netip.Addr { return netip.AddrPort(e).Addr() }
func (e loopbackEndpoint) SrcIP() netip.Addr { return netip.Addr{} }
