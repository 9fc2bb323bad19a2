package tunnel

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Who the local proxies serve.
//
// The proxies listen on loopback, which every local user can reach, and a
// connection through them reaches the emergency network with the owner's
// identity. So each accepted connection is traced to the user at its other
// end (identifyPeer) before anything is read or dialled:
//
//   - Linux: the uid of the connecting socket (sock_diag, else
//     /proc/net/tcp{,6}); Windows: the user (SID) of the process owning the
//     connecting port (GetExtendedTcpTable, then the process's token).
//   - A peer other than the owner is refused: SOCKS5 reply 0x02
//     ("connection not allowed by ruleset"), HTTP 403. Nothing is dialled.
//   - A peer whose user cannot be established (the socket vanished, the
//     kernel would not say, the process cannot be opened), or every peer
//     when this process's own user cannot be read, is refused the same
//     way: fail closed.
//   - Where the system offers Relais no way to know (errPeerUnknowable: macOS
//     and the other systems today), every local connection is served, as
//     before this check existed, and the log says so once per tunnel. This
//     is a known gap, not a check that passed.
//
// Every peer (every user; all connections together where the user is
// unknowable) holds at most MaxConnsPerPeer connections across the
// tunnel's proxies at once; beyond it, it gets SOCKS5 0x01 / HTTP 429.
// Refused connections count too, so that a refused user cannot hold the
// proxies' slots: past twice the bound they are closed without a reply
// (with the default, one user holds at most 512 of the 2048 slots).

// DefaultMaxConnsPerPeer is the default bound on the connections one local
// user may hold through a tunnel's proxies at once.
const DefaultMaxConnsPerPeer = 256

// peerID names who holds the other end of a local connection: "uid 1000" on
// Linux, a SID on Windows. It is an identity, never a secret.
type peerID string

// unknownPeer counts together the connections whose user is unknown.
const unknownPeer peerID = "unknown"

// errPeerUnknowable: this system gives Relais no way to tell who is at the
// other end of a local connection (see the policy above).
var errPeerUnknowable = errors.New("this system does not tell which user holds the other end of a local connection")

// verdict is what becomes of an accepted connection.
type verdict int

const (
	admitted       verdict = iota
	refusedForeign         // another user's program
	refusedUnknown         // the user could not be established
	refusedBusy            // the peer holds its bound already
	refusedDropped         // far over its bound: closed without a reply
)

// peerGuard decides, for the proxies of one tunnel, whom to serve and
// counts each peer's connections.
type peerGuard struct {
	owner      peerID // "" when unknowable
	unknowable error  // non-nil: serve everyone (see the policy above)
	ownerErr   error  // non-nil: the owner is unknown, refuse everyone
	bound      int
	identify   func(net.Conn) (peerID, error)

	mu     sync.Mutex
	held   map[peerID]int
	logged map[string]logState // refusals logged, to keep a flood out of the log
	warned bool                // the unknowable policy was logged
}

type logState struct {
	at         time.Time
	suppressed int
}

// maxLogKeys bounds peerGuard.logged.
const maxLogKeys = 256

// refusalLogEvery is how often one kind of refusal of one peer is logged.
const refusalLogEvery = time.Minute

func newPeerGuard(ownerUID *uint32, bound int) *peerGuard {
	if bound <= 0 {
		bound = DefaultMaxConnsPerPeer
	}
	g := &peerGuard{bound: bound, identify: identifyPeer, held: map[peerID]int{}, logged: map[string]logState{}}
	owner, err := ownerPeer(ownerUID)
	switch {
	case errors.Is(err, errPeerUnknowable):
		g.unknowable = err
	case err != nil: // fail closed: no peer can be proved to be the owner
		g.ownerErr = fmt.Errorf("this process's own user: %w", err)
	default:
		g.owner = owner
	}
	return g
}

// admit identifies c's peer and counts the connection against it; the
// caller calls release(peer) when the connection ends, whatever the
// verdict. logf receives one line per refusal (rate-limited), never a
// secret.
func (g *peerGuard) admit(c net.Conn, proxy string, logf func(string, ...any)) (peerID, verdict) {
	peer, v := unknownPeer, admitted
	var why error
	if g.unknowable == nil {
		id, err := g.identify(c)
		switch {
		case g.ownerErr != nil:
			v, why = refusedUnknown, g.ownerErr
		case err != nil:
			v, why = refusedUnknown, err
		case id != g.owner:
			peer, v = id, refusedForeign
		default:
			peer = id
		}
	}
	g.mu.Lock()
	n := g.held[peer] + 1
	g.held[peer] = n
	warn := g.unknowable != nil && !g.warned
	g.warned = true
	g.mu.Unlock()
	if warn {
		logf("tunnel: the local proxies serve every local user: %v", g.unknowable)
	}
	switch {
	case n > 2*g.bound:
		v = refusedDropped
	case v == admitted && n > g.bound:
		v = refusedBusy
	}
	switch v {
	case refusedForeign:
		g.logRefusal(logf, proxy, peer, v, "tunnel: %s proxy: refused a connection from %s: it serves %s only", proxy, peer, g.owner)
	case refusedUnknown:
		g.logRefusal(logf, proxy, peer, v, "tunnel: %s proxy: refused a connection whose user could not be established: %v", proxy, why)
	case refusedBusy:
		g.logRefusal(logf, proxy, peer, v, "tunnel: %s proxy: refused a connection from %s: it holds %d connections already (the limit)", proxy, peer, g.bound)
	case refusedDropped:
		g.logRefusal(logf, proxy, peer, v, "tunnel: %s proxy: closed a connection from %s without a reply: it holds %d connections", proxy, peer, n-1)
	}
	return peer, v
}

func (g *peerGuard) release(peer peerID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held[peer]--; g.held[peer] <= 0 {
		delete(g.held, peer)
	}
}

// logRefusal logs the first refusal of a kind for a peer, then at most one
// line a minute with the number left out.
func (g *peerGuard) logRefusal(logf func(string, ...any), proxy string, peer peerID, v verdict, format string, args ...any) {
	key := fmt.Sprintf("%s/%s/%d", proxy, peer, v)
	now := time.Now()
	g.mu.Lock()
	st, seen := g.logged[key]
	if seen && now.Sub(st.at) < refusalLogEvery {
		st.suppressed++
		g.logged[key] = st
		g.mu.Unlock()
		return
	}
	if len(g.logged) >= maxLogKeys {
		clear(g.logged)
	}
	g.logged[key] = logState{at: now}
	g.mu.Unlock()
	if st.suppressed > 0 {
		format += fmt.Sprintf(" (and %d more like it in the last minutes)", st.suppressed)
	}
	logf(format, args...)
}
