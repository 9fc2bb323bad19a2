// A tunnel follows a moving gateway, in either mode: it re-resolves the
// endpoint's name while up (a gateway moved by DNS, a disaster-recovery
// site taking over) and goes to the profile's next endpoint when the
// gateway stops answering, without the tunnel being restarted. The
// userspace tunnel runs a Roam on its device; the helper (system mode)
// runs one on its own, moving its routes around the gateway's address.

package tunnel

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/device"
)

// Defaults of the roam loop.
const (
	// DefaultReresolveEvery is how often the endpoint's name is resolved
	// again while the tunnel is up.
	DefaultReresolveEvery = 5 * time.Second
	// DefaultEndpointStaleAfter is how long the gateway may stay silent
	// (no handshake, or none since the endpoint was set) before the next
	// endpoint is tried: WireGuard renews a handshake every 2 minutes
	// while it has something to send, so 180 s without one means the
	// gateway no longer answers.
	DefaultEndpointStaleAfter = 180 * time.Second
	// maxAskGrace bounds the wait for the handshake the roam loop asks
	// of a gateway that answered before (WireGuard retries every 5 s).
	maxAskGrace = 15 * time.Second
)

// RoamOptions are how a tunnel follows a moving gateway.
type RoamOptions struct {
	// Every is how often the endpoint's name is resolved again;
	// 0: DefaultReresolveEvery.
	Every time.Duration
	// StaleAfter is how long the gateway may stay silent before the next
	// endpoint is tried; 0: DefaultEndpointStaleAfter.
	StaleAfter time.Duration
	// Lookup resolves the endpoints' names; nil: the system resolver.
	Lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// Logf receives each change of endpoint and why (never a key).
	Logf func(format string, args ...any)
	// Move, when set, makes each change of endpoint once the loop has
	// started: it must call set, which points the device's peer at to,
	// and prepares the system around that (system mode: the routes split
	// around the gateway's address). An error keeps the endpoint in use.
	Move func(from, to netip.AddrPort, set func() error) error
}

// Roam is the endpoint in use of a tunnel's peer and the loop that
// follows the gateway: NewRoam, ResolveFirst (before the device is
// configured), Start once the device is up, Stop before it is closed.
type Roam struct {
	peer      Peer
	endpoints []string // the peer's endpoints, in the order they are tried
	opt       RoamOptions
	dev       *device.Device

	mu sync.Mutex
	ep endpointState // guarded by mu
	// unresolved: the endpoint's name did not resolve at the loop's last
	// turn (logged once); the loop's own.
	unresolved bool
	stopOnce   sync.Once
	stop       context.CancelFunc
	done       chan struct{}
}

// endpointState is the endpoint in use and its history.
type endpointState struct {
	idx   int            // in Roam.endpoints
	addr  netip.AddrPort // what the name resolved to when it was set
	setAt time.Time      // when it was set on the device
	asked time.Time      // when the roam loop last asked for a handshake (zero: never)
}

// NewRoam prepares to follow p's endpoints (Endpoint, then the standby
// Endpoints, each once).
func NewRoam(p Peer, opt RoamOptions) *Roam {
	if opt.Every <= 0 {
		opt.Every = DefaultReresolveEvery
	}
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = DefaultEndpointStaleAfter
	}
	if opt.Lookup == nil {
		opt.Lookup = net.DefaultResolver.LookupNetIP
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	return &Roam{peer: p, endpoints: p.endpointList(), opt: opt}
}

// endpointList is the list of a peer's endpoints in the order they are
// tried: Endpoint, then the standby Endpoints, each once.
func (p Peer) endpointList() []string {
	var list []string
	seen := map[string]bool{}
	for _, e := range append([]string{p.Endpoint}, p.Endpoints...) {
		if e != "" && !seen[e] {
			seen[e] = true
			list = append(list, e)
		}
	}
	return list
}

// ResolveFirst resolves the endpoints in order and makes the first that
// resolves the one in use; when none does, it returns the first and its
// error.
func (r *Roam) ResolveFirst(ctx context.Context) (string, netip.AddrPort, error) {
	list := r.endpoints
	if len(list) == 0 {
		return "", netip.AddrPort{}, errors.New("tunnel: no endpoint")
	}
	var first error
	for i, e := range list {
		ap, err := r.resolve(ctx, e)
		if err == nil {
			if i > 0 {
				r.opt.Logf("tunnel: endpoint %s: %v; using %s (%s)", list[0], first, e, ap)
			}
			r.mu.Lock()
			r.ep = endpointState{idx: i, addr: ap, setAt: time.Now()}
			r.mu.Unlock()
			return e, ap, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return list[0], netip.AddrPort{}, first
}

// Endpoint is the endpoint in use, as the profile names it, and the
// address it was set to.
func (r *Roam) Endpoint() (string, netip.AddrPort) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.endpoints) == 0 {
		return "", netip.AddrPort{}
	}
	return r.endpoints[r.ep.idx], r.ep.addr
}

// Start starts the loop on dev, an up device whose peer is at the
// endpoint ResolveFirst returned; Stop stops it.
func (r *Roam) Start(dev *device.Device) {
	ctx, cancel := context.WithCancel(context.Background())
	r.dev, r.stop, r.done = dev, cancel, make(chan struct{})
	r.mu.Lock()
	r.ep.setAt = time.Now()
	r.mu.Unlock()
	go func() {
		defer close(r.done)
		tick := time.NewTicker(r.opt.Every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			r.once(ctx)
		}
	}()
}

// Stop stops the loop and waits for it (a change under way completes):
// after Stop it no longer uses the device. Stop without Start, or twice,
// does nothing.
func (r *Roam) Stop() {
	r.stopOnce.Do(func() {
		if r.stop != nil {
			r.stop()
			<-r.done
		}
	})
}

// once is one turn of the roam loop: the current endpoint's name
// resolved again (a new address is set at once), then the gateway's
// silence judged (roamStep).
func (r *Roam) once(ctx context.Context) {
	r.mu.Lock()
	cur := r.ep
	r.mu.Unlock()
	name := r.endpoints[cur.idx]
	if isName(name) {
		// A name with several addresses keeps the one in use while it is
		// one of them: a server that rotates their order moves nothing.
		all, err := r.resolveAll(ctx, name)
		if err == nil {
			r.unresolved = false
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !r.unresolved { // once, not every few seconds while offline
				r.opt.Logf("tunnel: endpoint %s: %v (still using %s)", name, err, cur.addr)
			}
			r.unresolved = true
		case !slices.Contains(all, cur.addr):
			r.opt.Logf("tunnel: endpoint %s now resolves to %s (was %s)", name, all[0], cur.addr)
			r.set(cur, cur.idx, all[0])
			return
		}
	}
	var st Status
	get, err := r.dev.IpcGet()
	if err != nil {
		return
	}
	parseUAPIStatus(get, &st)
	switch roamStep(time.Now(), st.LastHandshake, cur.setAt, cur.asked, r.opt.StaleAfter) {
	case roamAsk:
		r.mu.Lock()
		r.ep.asked = time.Now()
		r.mu.Unlock()
		if err := r.handshake(); err != nil {
			r.opt.Logf("%v", err)
		}
	case roamNext:
		r.next(ctx, cur)
	}
}

// next goes to the endpoint after cur (wrapping), skipping those whose
// name does not resolve. When there is no other endpoint, or none
// resolves, cur is kept and counts as set now: it is judged again a whole
// stale period later.
func (r *Roam) next(ctx context.Context, cur endpointState) {
	n := len(r.endpoints)
	for k := 1; k < n; k++ {
		i := (cur.idx + k) % n
		ap, err := r.resolve(ctx, r.endpoints[i])
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			r.opt.Logf("tunnel: standby endpoint %s: %v", r.endpoints[i], err)
			continue
		}
		r.opt.Logf("tunnel: no answer from %s (%s) for %v: trying %s (%s)", r.endpoints[cur.idx], cur.addr, r.opt.StaleAfter, r.endpoints[i], ap)
		r.set(cur, i, ap)
		return
	}
	r.mu.Lock()
	r.ep.setAt, r.ep.asked = time.Now(), time.Time{}
	r.mu.Unlock()
}

// set points the device's peer at ap (the endpoint idx), through
// RoamOptions.Move when there is one, and asks for a handshake there
// once it is set (even if Move then failed to finish around it).
func (r *Roam) set(cur endpointState, idx int, ap netip.AddrPort) {
	applied := false
	apply := func() error {
		set := fmt.Sprintf("public_key=%s\nupdate_only=true\nendpoint=%s\n", hex.EncodeToString(r.peer.PublicKey[:]), ap)
		if err := r.dev.IpcSet(set); err != nil {
			return fmt.Errorf("tunnel: set endpoint %s: %w", ap, err)
		}
		r.mu.Lock()
		r.ep = endpointState{idx: idx, addr: ap, setAt: time.Now()}
		r.mu.Unlock()
		applied = true
		return nil
	}
	var err error
	if r.opt.Move != nil {
		err = r.opt.Move(cur.addr, ap, apply)
	} else {
		err = apply()
	}
	if err != nil {
		r.opt.Logf("%v", err)
	}
	if !applied {
		return
	}
	if err := r.handshake(); err != nil {
		r.opt.Logf("%v", err)
	}
}

func (r *Roam) handshake() error {
	return InitiateHandshake(r.dev, r.peer.PublicKey, r.peer.PersistentKeepalive)
}

// resolve turns host:port into the address to use, with a deadline: a
// dead resolver must not hang Mode urgence.
func (r *Roam) resolve(ctx context.Context, endpoint string) (netip.AddrPort, error) {
	all, err := r.resolveAll(ctx, endpoint)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return all[0], nil
}

// resolveAll is every address of host:port, the one to use first (an
// IPv4 one) first; never empty without an error.
func (r *Roam) resolveAll(ctx context.Context, endpoint string) ([]netip.AddrPort, error) {
	host, pn, err := splitHostPort(endpoint)
	if err != nil {
		return nil, fmt.Errorf("tunnel: endpoint %q: %w", endpoint, err)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), pn)}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ResolveEndpointTimeout)
	defer cancel()
	addrs, err := r.opt.Lookup(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("tunnel: resolve endpoint %q: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("tunnel: resolve endpoint %q: no address", host)
	}
	// IPv4 first: home routers that give a v6 address without v6 routing
	// are common, and the handshake would just time out.
	var v4, v6 []netip.AddrPort
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a.Unmap(), pn)
		if ap.Addr().Is4() {
			v4 = append(v4, ap)
		} else {
			v6 = append(v6, ap)
		}
	}
	return append(v4, v6...), nil
}

// isName reports whether host:port names its host (rather than giving an
// address): only a name can be resolved again.
func isName(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return false
	}
	_, err = netip.ParseAddr(host)
	return err != nil
}

// What the roam loop does about the gateway's silence.
type roamAction int

const (
	roamStay roamAction = iota // it answered recently enough, or an answer is awaited
	roamAsk                    // it answered here before: ask it for a handshake first
	roamNext                   // it does not answer: go to the next endpoint
)

// roamStep judges the gateway's silence: nothing to do while it answered
// (or the endpoint was set) less than stale ago; past that, a gateway
// that answered on this endpoint is asked for a handshake first (an idle
// tunnel shakes hands only when it has something to send) and given
// min(stale, maxAskGrace) to answer; one that did not answer, or never
// did since the endpoint was set, is left for the next endpoint.
func roamStep(now, lastHandshake, setAt, asked time.Time, stale time.Duration) roamAction {
	ref := setAt
	if lastHandshake.After(ref) {
		ref = lastHandshake
	}
	if now.Sub(ref) <= stale {
		return roamStay
	}
	answeredHere := lastHandshake.After(setAt)
	if !answeredHere {
		return roamNext
	}
	if !asked.After(lastHandshake) {
		return roamAsk
	}
	if now.Sub(asked) < min(stale, maxAskGrace) {
		return roamStay
	}
	return roamNext
}
