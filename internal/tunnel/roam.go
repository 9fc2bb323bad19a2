// The userspace tunnel follows a moving gateway: it re-resolves the
// endpoint's name while up (a gateway moved by DNS, a disaster-recovery
// site taking over) and goes to the profile's next endpoint when the
// gateway stops answering, without the tunnel being restarted.

package tunnel

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"
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

// endpointState is the endpoint in use and its history.
type endpointState struct {
	idx   int            // in Userspace.endpoints
	addr  netip.AddrPort // what the name resolved to when it was set
	setAt time.Time      // when it was set on the device
	asked time.Time      // when the roam loop last asked for a handshake (zero: never)
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

// resolveFirst resolves the endpoints in order and returns the first that
// resolves; when none does, the error of the first.
func (u *Userspace) resolveFirst(ctx context.Context, list []string) (int, netip.AddrPort, error) {
	if len(list) == 0 {
		return 0, netip.AddrPort{}, errors.New("tunnel: no endpoint")
	}
	var first error
	for i, e := range list {
		ap, err := u.resolveEndpoint(ctx, e)
		if err == nil {
			if i > 0 {
				u.logf("tunnel: endpoint %s: %v; using %s (%s)", list[0], first, e, ap)
			}
			return i, ap, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return 0, netip.AddrPort{}, first
}

// startRoam starts the roam loop; Close stops it.
func (u *Userspace) startRoam(every, stale time.Duration) {
	if every <= 0 {
		every = DefaultReresolveEvery
	}
	if stale <= 0 {
		stale = DefaultEndpointStaleAfter
	}
	ctx, cancel := context.WithCancel(context.Background())
	u.stopRoam = cancel
	u.roamDone = make(chan struct{})
	go func() {
		defer close(u.roamDone)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			u.roamOnce(ctx, stale)
		}
	}()
}

// roamOnce is one turn of the roam loop: the current endpoint's name
// resolved again (a new address is set at once), then the gateway's
// silence judged (roamStep).
func (u *Userspace) roamOnce(ctx context.Context, stale time.Duration) {
	u.roamMu.Lock()
	cur := u.ep
	u.roamMu.Unlock()
	name := u.endpoints[cur.idx]
	if isName(name) {
		// A name with several addresses keeps the one in use while it is
		// one of them: a server that rotates their order moves nothing.
		all, err := u.resolveEndpointAll(ctx, name)
		if err == nil {
			u.unresolved = false
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !u.unresolved { // once, not every few seconds while offline
				u.logf("tunnel: endpoint %s: %v (still using %s)", name, err, cur.addr)
			}
			u.unresolved = true
		case !slices.Contains(all, cur.addr):
			u.logf("tunnel: endpoint %s now resolves to %s (was %s)", name, all[0], cur.addr)
			u.setEndpoint(cur.idx, all[0])
			return
		}
	}
	var st Status
	get, err := u.dev.IpcGet()
	if err != nil {
		return
	}
	parseUAPIStatus(get, &st)
	switch roamStep(time.Now(), st.LastHandshake, cur.setAt, cur.asked, stale) {
	case roamAsk:
		u.roamMu.Lock()
		u.ep.asked = time.Now()
		u.roamMu.Unlock()
		if err := u.InitiateHandshake(); err != nil {
			u.logf("%v", err)
		}
	case roamNext:
		u.next(ctx, cur, stale)
	}
}

// next goes to the endpoint after cur (wrapping), skipping those whose
// name does not resolve. When there is no other endpoint, or none
// resolves, cur is kept and counts as set now: it is judged again a whole
// stale period later.
func (u *Userspace) next(ctx context.Context, cur endpointState, stale time.Duration) {
	n := len(u.endpoints)
	for k := 1; k < n; k++ {
		i := (cur.idx + k) % n
		ap, err := u.resolveEndpoint(ctx, u.endpoints[i])
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			u.logf("tunnel: standby endpoint %s: %v", u.endpoints[i], err)
			continue
		}
		u.logf("tunnel: no answer from %s (%s) for %v: trying %s (%s)", u.endpoints[cur.idx], cur.addr, stale, u.endpoints[i], ap)
		u.setEndpoint(i, ap)
		return
	}
	u.roamMu.Lock()
	u.ep.setAt, u.ep.asked = time.Now(), time.Time{}
	u.roamMu.Unlock()
}

// setEndpoint points the device's peer at ap (the endpoint idx) and asks
// for a handshake there.
func (u *Userspace) setEndpoint(idx int, ap netip.AddrPort) {
	set := fmt.Sprintf("public_key=%s\nupdate_only=true\nendpoint=%s\n", hex.EncodeToString(u.cfg.Peer.PublicKey[:]), ap)
	if err := u.dev.IpcSet(set); err != nil {
		u.logf("tunnel: set endpoint %s: %v", ap, err)
		return
	}
	u.roamMu.Lock()
	u.ep = endpointState{idx: idx, addr: ap, setAt: time.Now()}
	u.roamMu.Unlock()
	if err := u.InitiateHandshake(); err != nil {
		u.logf("%v", err)
	}
}

// endpointName is the endpoint in use as the profile names it.
func (u *Userspace) endpointName() string {
	u.roamMu.Lock()
	defer u.roamMu.Unlock()
	if len(u.endpoints) == 0 {
		return ""
	}
	return u.endpoints[u.ep.idx]
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
