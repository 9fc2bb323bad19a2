package e2e

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// relay is the path between the laptop and the office's WireGuard: a UDP
// forwarder on the office's side of the link (the profile's endpoint) to
// wireguard-go's real port. Untouched it forwards every datagram at once;
// impaired, it loses a share of the laptop's datagrams at random and delays
// the others, in order — what `tc qdisc add dev <veth> root netem loss 30%
// delay 300ms` on the laptop's side of the link does, for a kernel without
// netem.
type relay struct {
	mu    sync.Mutex // guards loss and delay
	loss  float64
	delay time.Duration
}

func (r *relay) impair(loss float64, delay time.Duration) {
	r.mu.Lock()
	r.loss, r.delay = loss, delay
	r.mu.Unlock()
}

// startRelay forwards datagrams from front (the one client there is) to
// back and back's answers to that client.
func startRelay(front, back string) (*relay, error) {
	fa, err := net.ResolveUDPAddr("udp", front)
	if err != nil {
		return nil, err
	}
	ba, err := net.ResolveUDPAddr("udp", back)
	if err != nil {
		return nil, err
	}
	fc, err := net.ListenUDP("udp", fa)
	if err != nil {
		return nil, err
	}
	bc, err := net.DialUDP("udp", nil, ba)
	if err != nil {
		return nil, err
	}
	r := &relay{}
	var client atomic.Pointer[net.UDPAddr]
	type datagram struct {
		due time.Time
		b   []byte
	}
	upstream := make(chan datagram, 4096)
	go func() { // in order, each when due
		for d := range upstream {
			time.Sleep(time.Until(d.due))
			_, _ = bc.Write(d.b)
		}
	}()
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := fc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			client.Store(from)
			r.mu.Lock()
			loss, delay := r.loss, r.delay
			r.mu.Unlock()
			if loss > 0 && rand.Float64() < loss {
				continue
			}
			select {
			case upstream <- datagram{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}:
			default: // a full queue drops, as a router's would
			}
		}
	}()
	go func() {
		buf := make([]byte, 65535)
		for {
			n, err := bc.Read(buf)
			if err != nil {
				continue // an ICMP error, if wireguard-go's port was closed for a moment
			}
			if c := client.Load(); c != nil {
				_, _ = fc.WriteToUDP(buf[:n], c)
			}
		}
	}()
	return r, nil
}
