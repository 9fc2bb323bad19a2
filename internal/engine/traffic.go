package engine

import (
	"time"

	"relais/internal/tunnel"
)

// TrafficStallAfter is how long the tunnel may keep sending without
// receiving anything before the engine checks again: WireGuard's
// REKEY_TIMEOUT, after which it sends a handshake initiation again when the
// previous one went unanswered.
const TrafficStallAfter = 5 * time.Second

// keepaliveBytes is what one WireGuard keepalive adds to a byte counter: an
// empty transport message (a 16-byte header and a 16-byte tag).
const keepaliveBytes = 32

// trafficWatch follows the tunnel's byte counters between runs, so that a
// short outage shows in the state within seconds: the handshake goes stale
// only after 180 s, and the next periodic run may be a minute away. It is
// fed one poll at a time and says when to check again.
//
// The rule. An episode starts at the first poll where TxBytes grew by more
// than one keepalive while RxBytes did not; any growth of RxBytes ends it
// (the peer answered). The episode is stalled once TxBytes grows again at a
// poll TrafficStallAfter or more after it started, still with nothing
// received: the laptop keeps sending (retransmissions, retries, WireGuard's
// own handshake initiations) and nothing comes back.
//   - A stalled episode asks for one run, only when the last report says
//     the apps work (operational or degraded): a failed report already says
//     so, and running again while the office is away would only add load.
//     One run per episode: at most one every TrafficStallAfter.
//   - When RxBytes grows again after a stalled episode, and no run started
//     since has reported yet, a report that is not operational asks for a
//     run at once: the traffic is back, the state must follow. This waits
//     for a run in progress (one started while the traffic stalled) to
//     report, since that report may still say failed.
//
// What must not trigger a run on a healthy tunnel:
//   - A persistent keepalive (and the passive one WireGuard sends 10 s
//     after receiving data when it has nothing to send): the peer never
//     answers a keepalive, so an idle tunnel sends 32 bytes every interval
//     and receives nothing, forever. A growth of TxBytes of one keepalive or
//     less is ignored. Were a keepalive counted as more (another WireGuard
//     counting headers), each one would be a lone send: the first starts an
//     episode, the next, one keepalive interval later, stalls it and asks
//     for one run, whose traffic is answered and ends the episode; at most
//     one extra run every two keepalive intervals, never a loop.
//   - The last packet of an exchange (the final ACK of a TCP connection, the
//     tail of a run of the checks) is never answered at once: it is a
//     single growth of TxBytes, which starts an episode but cannot stall it
//     without a second send; the peer's passive keepalive (within 10 s)
//     ends it.
//   - One-way traffic (UDP the office never answers) sent without pause is
//     answered only by the peer's passive keepalive, every 10 s: it can
//     stall an episode and cost one run every 10 s or so while it lasts.
//     Rare on a desktop, and bounded.
type trafficWatch struct {
	seen    bool
	tx, rx  int64
	since   time.Time // the start of the episode; zero: none
	stalled bool      // the episode stalled
	asked   bool      // the episode asked for its run
	back    time.Time // the traffic came back after a stall, with the state still to follow; zero: no
}

// observe takes one poll: the tunnel's status at now, the phase of the last
// report and when that report's run started. It returns why to run the
// checks again, or "".
func (w *trafficWatch) observe(now time.Time, st tunnel.Status, phase Phase, reportStarted time.Time) string {
	if !w.seen || st.TxBytes < w.tx || st.RxBytes < w.rx {
		// The first look, or the counters started again (a new device).
		*w = trafficWatch{seen: true, tx: st.TxBytes, rx: st.RxBytes}
		return ""
	}
	dtx, drx := st.TxBytes-w.tx, st.RxBytes-w.rx
	w.tx, w.rx = st.TxBytes, st.RxBytes
	switch {
	case drx > 0:
		if w.stalled {
			w.back = now
		}
		w.since, w.stalled, w.asked = time.Time{}, false, false
	case dtx > keepaliveBytes:
		if w.since.IsZero() {
			w.since = now
			break
		}
		if now.Sub(w.since) < TrafficStallAfter {
			break
		}
		w.stalled = true
		if !w.asked && (phase == PhaseOperational || phase == PhaseDegraded) {
			w.asked = true
			return "traffic stalled"
		}
	}
	if !w.back.IsZero() {
		switch {
		case !reportStarted.Before(w.back):
			w.back = time.Time{} // a run started after the traffic came back has reported
		case phase != PhaseOperational:
			w.back = time.Time{}
			return "traffic back"
		}
	}
	return ""
}
