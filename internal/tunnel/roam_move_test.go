package tunnel

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
)

// loopbackDevice is an up wireguard-go device on a netstack whose peer is
// at ep (a loopback address where nothing answers).
func loopbackDevice(t *testing.T, cfg Config, ep netip.AddrPort) *device.Device {
	t.Helper()
	tdev, _, err := CreateNetstack([]netip.Addr{netip.MustParseAddr("10.99.0.2")}, nil, 1280)
	if err != nil {
		t.Fatal(err)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), &device.Logger{Verbosef: device.DiscardLogf, Errorf: device.DiscardLogf})
	t.Cleanup(dev.Close)
	if err := dev.IpcSet(UAPIConfig(cfg, ep)); err != nil {
		t.Fatal(err)
	}
	if err := dev.Up(); err != nil {
		t.Fatal(err)
	}
	return dev
}

// roamGoroutines counts the roam loops running.
func roamGoroutines() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "tunnel.(*Roam).Start.func")
}

// The roam loop hands each change of endpoint to RoamOptions.Move (the
// helper moves its routes there): from the old address to the new, the
// device's peer pointed at the new one only through set; a Move that
// fails keeps the endpoint. Stop ends the loop.
func TestRoamMoveHook(t *testing.T) {
	var cfg Config
	rand.Read(cfg.PrivateKey[:])
	rand.Read(cfg.Peer.PublicKey[:])
	cfg.Peer.Endpoint = "gw.relais.test:51820"
	cfg.Peer.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("10.99.0.0/24")}
	var mu sync.Mutex
	addr := "127.0.0.3"
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		if host != "gw.relais.test" {
			return nil, errors.New("no such host")
		}
		return []netip.Addr{netip.MustParseAddr(addr)}, nil
	}
	type move struct{ from, to netip.AddrPort }
	moves := make(chan move, 8)
	refuse := true
	var r *Roam
	r = NewRoam(cfg.Peer, RoamOptions{Every: 10 * time.Millisecond, Lookup: lookup, Logf: t.Logf,
		Move: func(from, to netip.AddrPort, set func() error) error {
			mu.Lock()
			no := refuse
			mu.Unlock()
			if no {
				moves <- move{from, to}
				return errors.New("refused")
			}
			if name, ap := r.Endpoint(); ap != from {
				t.Errorf("Move called with the endpoint %s (%s) in use, from %s", name, ap, from)
			}
			err := set()
			moves <- move{from, to}
			return err
		}})
	name, ep, err := r.ResolveFirst(context.Background())
	if err != nil || name != cfg.Peer.Endpoint || ep.String() != "127.0.0.3:51820" {
		t.Fatalf("ResolveFirst: %s %s %v", name, ep, err)
	}
	dev := loopbackDevice(t, cfg, ep)
	before := roamGoroutines()
	r.Start(dev)

	mu.Lock()
	addr = "127.0.0.4"
	mu.Unlock()
	want := move{netip.MustParseAddrPort("127.0.0.3:51820"), netip.MustParseAddrPort("127.0.0.4:51820")}
	if m := <-moves; m != want {
		t.Fatalf("move %v, want %v", m, want)
	}
	if _, ap := r.Endpoint(); ap != want.from {
		t.Errorf("a refused move changed the endpoint to %s", ap)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	for m := range moves {
		if m != want {
			t.Fatalf("move %v, want %v", m, want)
		}
		if _, ap := r.Endpoint(); ap == want.to {
			break
		}
	}
	get, err := dev.IpcGet()
	if err != nil || !strings.Contains(get, "endpoint=127.0.0.4:51820\n") {
		t.Errorf("the device's peer is not at the new address: %v\n%s", err, get)
	}
	r.Stop()
	r.Stop() // twice: nothing
	if n := roamGoroutines(); n > before {
		t.Errorf("%d roam loops running after Stop, %d before Start", n, before)
	}
}
