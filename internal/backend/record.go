package backend

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/net/proxy"

	"relais/internal/engine"
	"relais/internal/helper"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The live record of a Mode urgence: what the process holding the tunnel
// records for the others (`relais status`, `relais open`, `relais check`),
// and the tunnel those others reuse through it.

// reusedStatusEvery is how often a reused tunnel's recorded status is
// read again from the store: the engine and the tunnel check poll Status
// every few milliseconds.
const reusedStatusEvery = 200 * time.Millisecond

// liveRecord is the status another process records for the tunnel it
// holds, read again at most every reusedStatusEvery. A record gone or
// stale (its writer died) reads as a tunnel down.
type liveRecord struct {
	m *Machine

	mu   sync.Mutex
	st   tunnel.Status
	at   time.Time
	mode tunnel.Mode
}

func (m *Machine) newLiveRecord(st tunnel.Status) *liveRecord {
	return &liveRecord{m: m, st: st, at: time.Now(), mode: st.Mode}
}

func (l *liveRecord) status() tunnel.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.at) >= reusedStatusEvery {
		st, ok := l.m.LiveTunnel(context.Background())
		if !ok {
			st = tunnel.Status{Mode: l.mode}
		}
		l.st, l.at = st, time.Now()
	}
	return l.st
}

// systemReuse is a system tunnel that another process (the app or `relais
// up` through the helper) keeps up: traffic follows the system's routes,
// so a plain dial goes through it; its status is what that process
// records. Closing it leaves the tunnel up.
type systemReuse struct{ rec *liveRecord }

func (s *systemReuse) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

func (s *systemReuse) Status() tunnel.Status { return s.rec.status() }

func (s *systemReuse) Close() error { return nil }

// socksReuse is a userspace tunnel that another process of this user
// (relais up, the app) holds: connections go through its local SOCKS5
// proxy, every step under the caller's deadline; its status is what that
// process records. The proxy carries TCP only: a DNS question (UDP to
// port 53) is asked over TCP through it (RFC 7766). Closing it leaves
// the tunnel up.
type socksReuse struct {
	rec  *liveRecord
	addr string // the holder's SOCKS5 proxy, on loopback
}

func (s *socksReuse) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, tunnel.DefaultDialTimeout)
		defer cancel()
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		return socksConnect(ctx, s.addr, address)
	case "udp", "udp4", "udp6":
		if _, port, err := net.SplitHostPort(address); err == nil && port == "53" {
			c, err := socksConnect(ctx, s.addr, address)
			if err != nil {
				return nil, err
			}
			return &dnsOverTCP{Conn: c}, nil
		}
	}
	return nil, fmt.Errorf("relais: %s to %s cannot go through another process's tunnel proxy", network, address)
}

func (s *socksReuse) Status() tunnel.Status { return s.rec.status() }

func (s *socksReuse) Close() error { return nil }

// socksConnect opens a connection to address through the SOCKS5 proxy at
// proxyAddr, within ctx's deadline.
func socksConnect(ctx context.Context, proxyAddr, address string) (net.Conn, error) {
	d, err := proxy.SOCKS5("tcp", proxyAddr, nil, &net.Dialer{})
	if err != nil {
		return nil, err
	}
	return d.(proxy.ContextDialer).DialContext(ctx, "tcp", address)
}

// dnsOverTCP carries DNS messages, written and read one at a time as over
// UDP, on a TCP connection: each message prefixed with its length.
type dnsOverTCP struct{ net.Conn }

func (c *dnsOverTCP) Write(p []byte) (int, error) {
	if len(p) > 0xffff {
		return 0, errors.New("relais: dns message too long")
	}
	b := make([]byte, 2+len(p))
	binary.BigEndian.PutUint16(b, uint16(len(p)))
	copy(b[2:], p)
	if _, err := c.Conn.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Read reads one message; a buffer too small gets its beginning, as a UDP
// read would.
func (c *dnsOverTCP) Read(p []byte) (int, error) {
	var l [2]byte
	if _, err := io.ReadFull(c.Conn, l[:]); err != nil {
		return 0, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(c.Conn, msg); err != nil {
		return 0, err
	}
	return copy(p, msg), nil
}

// helperSocket is where relais up finds the helper.
func (m *Machine) HelperSocket() string { return helper.SocketPath(m.Env.Getenv) }

// systemHelperAvailable reports whether the privileged helper answers on
// its socket (auto mode uses system mode then).
func (m *Machine) SystemHelperAvailable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	c, err := helper.Dial(ctx, m.HelperSocket())
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// StartSystemTunnel asks the privileged helper to bring the tunnel up from
// the cached (signed) profile, handing it the device's configuration. The
// tunnel lives as long as the returned Tunnel is open.
func (m *Machine) StartSystemTunnel(ctx context.Context, cur *store.CachedProfile, cfg tunnel.Config) (tunnel.Tunnel, error) {
	if cur == nil {
		return nil, errors.New("cli: system mode needs a cached profile")
	}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	c, err := helper.Dial(dctx, m.HelperSocket())
	cancel()
	if err != nil {
		return nil, err // describe words it (helperReason)
	}
	uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The helper takes host addresses only (a .conf's "10.99.0.2/24" is
	// the address 10.99.0.2; the routes come from the signed profile).
	hosts := make([]netip.Prefix, len(cfg.Addresses))
	for i, a := range cfg.Addresses {
		hosts[i] = netip.PrefixFrom(a.Addr(), a.Addr().BitLen())
	}
	req := helper.UpRequest{Profile: cur.Bytes, Signature: cur.Signature, PrivateKey: cfg.PrivateKey, Addresses: hosts, PresharedKey: cfg.Peer.PresharedKey}
	// An enrolled identity's grant: the helper brings up exactly its
	// addresses when the profile names an enrolment key (only the grant
	// of this very key: a stale row for another key would be refused).
	if m.DB != nil {
		if id, err := m.DB.Identity(ctx); err == nil && id.Grant != "" && id.PublicKey == PublicKey(cfg.PrivateKey) {
			req.Grant, req.GrantSignature = id.Grant, id.GrantSignature
		}
	}
	t, err := c.Up(uctx, req)
	if err != nil {
		c.Close()
		return nil, err // describe words it (helperReason)
	}
	return t, nil
}

// LiveTunnel is the tunnel another live process of this user records (the
// one live record's rule, ReadOtherLive), and whether there is one.
func (m *Machine) LiveTunnel(ctx context.Context) (tunnel.Status, bool) {
	l, ok := ReadOtherLive(ctx, m.DB, m.Env.Now)
	return l.Tunnel(), ok
}

// StartRecording records a Mode urgence's live record (its snapshot,
// tunnel included) for the other processes until stop is called: when
// the tunnel changes, and at least every LiveRecordEvery.
func StartRecording(ctx context.Context, db *store.DB, snapshot func() engine.Snapshot, now func() time.Time) (stop func()) {
	return StartRecordingWarn(ctx, db, snapshot, now, nil)
}

// StartRecordingWarn is StartRecording that calls warn, if set, when the
// store refuses a record (a full disk), once until a record is written
// again: `relais status` cannot show what could not be written.
func StartRecordingWarn(ctx context.Context, db *store.DB, snapshot func() engine.Snapshot, now func() time.Time, warn func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		recordLive(ctx, db, snapshot, now, warn)
	}()
	return func() {
		cancel()
		<-done
	}
}

// ClearRecords forgets the live record of this process once Mode urgence
// is over, so that `relais status` no longer shows it; it returns what the
// store refused. A fresh context: the caller's may be cancelled already.
func ClearRecords(db *store.DB) []error {
	if err := db.ClearLive(context.Background(), os.Getpid()); err != nil {
		return []error{err}
	}
	return nil
}

// recordPoll is how often the recorder looks at the tunnel.
const recordPoll = time.Second

// recordLive writes the snapshot to the store when the tunnel changes and
// every LiveRecordEvery, until ctx is done.
func recordLive(ctx context.Context, db *store.DB, snapshot func() engine.Snapshot, now func() time.Time, warn func(error)) {
	var last tunnel.Status
	var lastAt time.Time
	warned := false
	tick := time.NewTicker(recordPoll)
	defer tick.Stop()
	for {
		snap := snapshot()
		s := snap.Tunnel
		changed := s.Up != last.Up || s.Endpoint != last.Endpoint || !s.LastHandshake.Equal(last.LastHandshake) ||
			s.SOCKS5 != last.SOCKS5 || s.HTTPProxy != last.HTTPProxy || s.Mode != last.Mode
		if changed || now().Sub(lastAt) >= LiveRecordEvery {
			if snap.PID == 0 {
				snap.PID = os.Getpid()
			}
			b, _ := json.Marshal(snap)
			if err := db.RecordLive(context.WithoutCancel(ctx), store.LiveRecord{PID: os.Getpid(), SnapshotJSON: string(b), UpdatedAt: now()}); err == nil {
				last, lastAt, warned = s, now(), false
			} else if warn != nil && !warned {
				warned = true
				warn(err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
