package helper

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"aead.dev/minisign"

	"relais/internal/config"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// Defaults of Server.MaxConns and Server.IdleTimeout.
const (
	DefaultMaxConns    = 16
	DefaultIdleTimeout = 30 * time.Second
)

// maxLine bounds one request: a profile at its size limit, base64-encoded,
// plus its signature and the rest.
const maxLine = profile.MaxProfileSize*4/3 + 64<<10

// Backend makes the tunnel on the system. The Server serialises calls.
type Backend interface {
	// Up brings a tunnel up from cfg, replacing any tunnel already up; on
	// error it leaves nothing behind.
	Up(ctx context.Context, cfg tunnel.Config) error
	// Down tears the tunnel down; no tunnel is not an error.
	Down() error
	// Status reads the tunnel's state (Up false when there is none).
	Status() tunnel.Status
}

// Server serves the helper's API on a listener.
type Server struct {
	Backend Backend
	// TrustedKeys returns the machine's trusted profile keys, read afresh
	// at each Up so that an updated managed configuration applies at once.
	TrustedKeys func() ([]minisign.PublicKey, error)
	// Authorize accepts or refuses a caller; nil accepts everyone (tests).
	Authorize func(net.Conn) error
	Interface string
	Logf      func(format string, args ...any)

	// MaxConns bounds the connections served at once (DefaultMaxConns
	// when 0): a caller that opens hundreds is refused, not fed memory.
	MaxConns int
	// IdleTimeout closes a connection that sends no request for that long
	// (DefaultIdleTimeout when 0), unless it owns the tunnel up, whose
	// connection lives as long as the tunnel.
	IdleTimeout time.Duration

	// HighWater keeps the last profile brought up, so that an older one
	// (or an expired one) is refused as profile.Accept refuses it; nil
	// keeps it in memory only, for this Server's life.
	HighWater HighWater
	// PeerUID tells who a caller is (on Linux, SO_PEERCRED): a caller may
	// replace a tunnel up only if it is root or the user who brought it
	// up. Nil: callers are not told apart (tests; Windows for now).
	PeerUID func(net.Conn) (uint32, error)
	// Now is the clock for expiry (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex // guards owner, conns and mark, and serialises Backend calls
	owner *serverConn
	conns map[*serverConn]struct{}
	// mark is the newest profile this Server brought up: it stands when
	// HighWater could not store it (until the helper restarts).
	mark profile.Previous
}

type serverConn struct {
	net.Conn
	enc *json.Encoder
	uid uint32 // the caller's user, when Server.PeerUID tells it
	who string // the caller for the log: "uid N", or "a caller"
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Serve accepts connections until ctx ends, then closes every connection
// and tears the tunnel down.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	s.conns = map[*serverConn]struct{}{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	var err error
	limit := s.MaxConns
	if limit <= 0 {
		limit = DefaultMaxConns
	}
	slots := make(chan struct{}, limit)
	for {
		c, aerr := l.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("helper: accept: %w", aerr)
			}
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			s.logf("refused a connection: %d already served", limit)
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_ = json.NewEncoder(c).Encode(Response{Error: errorf(CodeBusy, "too many connections")})
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(c, func() { <-slots })
		}()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if derr := s.Backend.Down(); derr != nil {
		s.logf("tear down: %v", derr)
	}
	s.owner = nil
	return err
}

// serveConn serves one caller; release gives its slot back, before the
// connection is closed, so that a caller that sees it closed and
// reconnects at once finds its slot free.
func (s *Server) serveConn(nc net.Conn, release func()) {
	c := &serverConn{Conn: nc, enc: json.NewEncoder(nc), who: "a caller"}
	defer c.Close()
	defer release()
	refuse := func(err error) {
		s.logf("refused a caller: %v", err)
		_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_ = c.enc.Encode(Response{Error: asError(err, CodeForbidden)})
	}
	if s.Authorize != nil {
		if err := s.Authorize(nc); err != nil {
			refuse(err)
			return
		}
	}
	if s.PeerUID != nil {
		uid, err := s.PeerUID(nc)
		if err != nil {
			refuse(errorf(CodeForbidden, "cannot identify the caller: %v", err))
			return
		}
		c.uid, c.who = uid, fmt.Sprintf("uid %d", uid)
	}
	s.mu.Lock()
	if s.conns == nil {
		s.mu.Unlock()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer s.disconnect(c)

	if err := c.enc.Encode(Response{Hello: &Hello{Version: ProtocolVersion, Interface: s.Interface}}); err != nil {
		return
	}
	sc := bufio.NewScanner(nc)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	idle := s.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	for {
		s.mu.Lock()
		owner := s.owner == c
		s.mu.Unlock()
		deadline := time.Now().Add(idle)
		if owner {
			deadline = time.Time{} // the tunnel's connection: as long as it is up
		}
		_ = nc.SetReadDeadline(deadline)
		// A line cut by the deadline (or any read error) is half a
		// request: the scanner hands it over, but it is not served.
		if !sc.Scan() || sc.Err() != nil {
			return
		}
		var req Request
		var resp Response
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp.Error = errorf(CodeBadRequest, "not a request: %v", err)
		} else {
			resp = s.handle(c, &req)
		}
		if err := c.enc.Encode(resp); err != nil {
			return
		}
	}
}

// disconnect forgets a connection; the tunnel goes down with its owner.
func (s *Server) disconnect(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if s.owner != c {
		return
	}
	s.owner = nil
	s.logf("the caller that brought the tunnel up went away: tearing down")
	if err := s.Backend.Down(); err != nil {
		s.logf("tear down: %v", err)
	}
}

func (s *Server) handle(c *serverConn, req *Request) Response {
	switch req.Op {
	case OpUp:
		if req.Up == nil {
			return Response{Error: errorf(CodeBadRequest, "up without a tunnel")}
		}
		return s.up(c, req.Up)
	case OpDown:
		s.mu.Lock()
		defer s.mu.Unlock()
		switch s.owner {
		case nil:
			return Response{Error: errorf(CodeNotUp, "no tunnel is up")}
		case c:
		default:
			// A caller whose tunnel was replaced must not tear down its successor's.
			return Response{Error: errorf(CodeNotOwner, "the tunnel up is another caller's")}
		}
		s.owner = nil
		if err := s.Backend.Down(); err != nil {
			return Response{Error: asError(err, CodeTunnel)}
		}
		st := s.Backend.Status()
		return Response{Status: &st}
	case OpStatus:
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.Backend.Status()
		return Response{Status: &st}
	}
	return Response{Error: errorf(CodeBadRequest, "unknown op %q", req.Op)}
}

// up brings the tunnel up for caller c: the profile accepted against the
// high-water mark, the tunnel up not another user's, then the system; the
// mark moves only once the tunnel is up.
func (s *Server) up(c *serverConn, req *UpRequest) Response {
	defer func() { req.PrivateKey, req.PresharedKey = tunnel.Key{}, tunnel.Key{} }()
	refuse := func(err error, fallback Code) Response {
		s.logf("refused an up from %s: %v", c.who, err)
		return Response{Error: asError(err, fallback)}
	}
	if s.TrustedKeys == nil {
		return refuse(errorf(CodeNoConfig, "no trusted keys"), CodeNoConfig)
	}
	keys, err := s.TrustedKeys()
	if err != nil {
		return refuse(err, CodeNoConfig)
	}
	// From here to the mark's update, one up at a time: two callers
	// cannot both pass the same mark.
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, err := s.lastAccepted()
	if err != nil {
		return refuse(err, CodeMarkUnreadable)
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	cfg, p, err := BuildConfig(*req, keys, prev, now)
	if err != nil {
		return refuse(err, CodeInvalidProfile)
	}
	defer func() { cfg.PrivateKey, cfg.Peer.PresharedKey = tunnel.Key{}, tunnel.Key{} }()
	if o := s.owner; o != nil && o != c && s.PeerUID != nil && c.uid != 0 && c.uid != o.uid {
		return refuse(errorf(CodeOtherOwner, "the tunnel up is uid %d's: only that user or root may replace it", o.uid), CodeOtherOwner)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Backend.Up(ctx, cfg); err != nil {
		s.owner = nil
		s.logf("up failed: %v", err)
		return Response{Error: asError(err, CodeTunnel)}
	}
	s.owner = c
	s.remember(profile.Previous{Serial: p.Serial, SHA256: p.SHA256})
	st := s.Backend.Status()
	s.logf("tunnel up on %s to %s for %s (profile serial %d)", st.Interface, st.Endpoint, c.who, p.Serial)
	return Response{Status: &st}
}

// lastAccepted is the high-water mark: the stored one, or this Server's
// own when it is newer (it could not be stored). Called with s.mu held.
func (s *Server) lastAccepted() (profile.Previous, error) {
	prev := s.mark
	if s.HighWater != nil {
		stored, err := s.HighWater.Load()
		if err != nil {
			return profile.Previous{}, err
		}
		if stored.Serial >= prev.Serial {
			prev = stored
		}
	}
	return prev, nil
}

// remember moves the mark to p once its tunnel is up. Called with s.mu
// held. A mark that cannot be stored (a full disk) does not take the
// tunnel down, an emergency being when it is needed: it holds in memory
// until the helper restarts, and the next up tries to store it again.
func (s *Server) remember(p profile.Previous) {
	s.mark = p
	if s.HighWater == nil {
		return
	}
	if stored, err := s.HighWater.Load(); err == nil && stored == p {
		return
	}
	if err := s.HighWater.Store(p); err != nil {
		s.logf("could not record profile serial %d as the high-water mark: %v (older profiles stay refused until the helper restarts)", p.Serial, err)
	}
}

// BuildConfig is the helper's whole policy for a tunnel a caller asks for:
// the profile must be one profile.Accept accepts (a valid signature by one
// of the trusted keys, not older than prev, the last profile brought up on
// this machine, with the same serial only for the same bytes, not expired
// at now); the peer, allowed IPs (routes) and DNS come from the verified
// profile only; the caller gives the private key and, optionally, the
// addresses. When the profile names an [enrolment] public_key, the
// addresses are exactly those of the grant that key signed for the
// caller's key (grantedAddresses): the caller's own, if any, must be the
// same.
func BuildConfig(req UpRequest, trusted []minisign.PublicKey, prev profile.Previous, now time.Time) (tunnel.Config, *profile.Profile, error) {
	p, err := profile.Accept("profile.toml", req.Profile, req.Signature, trusted, prev, now)
	if err != nil {
		return tunnel.Config{}, nil, err
	}
	if req.PrivateKey == (tunnel.Key{}) {
		return tunnel.Config{}, nil, errorf(CodeBadRequest, "no private key")
	}
	if len(req.Addresses) > MaxAddresses {
		return tunnel.Config{}, nil, errorf(CodeBadRequest, "%d addresses (at most %d)", len(req.Addresses), MaxAddresses)
	}
	allowed := clientNetworks(p.Tunnel)
	for _, a := range req.Addresses {
		if !usableAddress(a) {
			return tunnel.Config{}, nil, errorf(CodeBadRequest, "address %s cannot be a tunnel address", a)
		}
		// A caller names its own address in the tunnel, never a network:
		// a prefix would route it (a member once routed 128.0.0.0/1 and
		// took the LAN gateway's address).
		if a.Bits() != a.Addr().BitLen() {
			return tunnel.Config{}, nil, errorf(CodeBadRequest, "address %s is a network, not one address (/32 or /128)", a)
		}
		if !inAny(a.Addr(), allowed) {
			return tunnel.Config{}, nil, errorf(CodeBadRequest, "address %s is outside the tunnel's networks in the signed profile", a)
		}
	}
	addrs := req.Addresses
	granted, enrolled, err := grantedAddresses(req, p, trusted)
	if err != nil {
		return tunnel.Config{}, nil, err
	}
	if enrolled {
		// The grant's addresses, checked like a caller's: the server
		// that signed them is trusted to hand out addresses, not to
		// route the machine's networks.
		for _, a := range granted {
			if !usableAddress(a) || a.Bits() != a.Addr().BitLen() || !inAny(a.Addr(), allowed) {
				return tunnel.Config{}, nil, errorf(CodeBadGrant, "granted address %s is not one address inside the tunnel's networks in the signed profile", a)
			}
		}
		addrs = granted
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, req.PrivateKey, addrs)
	if err != nil {
		return tunnel.Config{}, nil, errorf(CodeInvalidProfile, "%v", err)
	}
	cfg.Peer.PresharedKey = req.PresharedKey
	return cfg, p, nil
}

// MaxAddresses bounds the tunnel addresses one Up may ask for.
const MaxAddresses = 4

// clientNetworks are where the signed profile lets a device's tunnel
// address be: its tunnel.address (when IT assigns it there) and the
// networks it routes through the tunnel (allowed_ips).
func clientNetworks(t profile.Tunnel) []netip.Prefix {
	var nets []netip.Prefix
	// allowed_ips say what the tunnel carries (often the office's own
	// networks), address_pool where clients live: with a pool, only it.
	from := t.AllowedIPs
	if len(t.AddressPool) > 0 {
		from = t.AddressPool
	}
	for _, s := range append(append([]string{}, t.Address...), from...) {
		if p, err := netip.ParsePrefix(s); err == nil {
			nets = append(nets, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return nets
}

func inAny(a netip.Addr, nets []netip.Prefix) bool {
	for _, n := range nets {
		// A default route (0.0.0.0/0) in allowed_ips is no licence to
		// take any address: only narrower networks count.
		if n.Bits() > 0 && n.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func usableAddress(p netip.Prefix) bool {
	a := p.Addr()
	return p.IsValid() && !a.IsUnspecified() && !a.IsLoopback() && !a.IsMulticast() && !a.IsLinkLocalUnicast()
}

// LoadTrustedKeys reads the trusted keys from the managed configuration at
// path.
func LoadTrustedKeys(path string) ([]minisign.PublicKey, error) {
	m, err := config.LoadManaged(path)
	if err != nil {
		return nil, errorf(CodeNoConfig, "%v", err)
	}
	var keys []minisign.PublicKey
	for i, s := range m.TrustedKeys {
		k, err := profile.ParseTrustedKey(s)
		if err != nil {
			return nil, errorf(CodeNoConfig, "%s: trusted_keys[%d]: %v", path, i, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s", profile.ErrNoTrustedKeys, path)
	}
	return keys, nil
}
