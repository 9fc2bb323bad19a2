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

	mu    sync.Mutex // guards owner and conns, and serialises Backend calls
	owner *serverConn
	conns map[*serverConn]struct{}
}

type serverConn struct {
	net.Conn
	enc *json.Encoder
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
			defer func() { <-slots }()
			s.serveConn(c)
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

func (s *Server) serveConn(nc net.Conn) {
	c := &serverConn{Conn: nc, enc: json.NewEncoder(nc)}
	defer c.Close()
	if s.Authorize != nil {
		if err := s.Authorize(nc); err != nil {
			s.logf("refused a caller: %v", err)
			_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_ = c.enc.Encode(Response{Error: asError(err, CodeForbidden)})
			return
		}
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
		if !sc.Scan() {
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
		cfg, err := s.config(req.Up)
		req.Up.PrivateKey = tunnel.Key{}
		if err != nil {
			s.logf("refused an up: %v", err)
			return Response{Error: asError(err, CodeInvalidProfile)}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err = s.Backend.Up(ctx, cfg)
		cfg.PrivateKey = tunnel.Key{}
		if err != nil {
			s.owner = nil
			s.logf("up failed: %v", err)
			return Response{Error: asError(err, CodeTunnel)}
		}
		s.owner = c
		st := s.Backend.Status()
		s.logf("tunnel up on %s to %s", st.Interface, st.Endpoint)
		return Response{Status: &st}
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

// config verifies the request's profile and builds the tunnel from it.
func (s *Server) config(req *UpRequest) (tunnel.Config, error) {
	if s.TrustedKeys == nil {
		return tunnel.Config{}, errorf(CodeNoConfig, "no trusted keys")
	}
	keys, err := s.TrustedKeys()
	if err != nil {
		return tunnel.Config{}, err
	}
	return BuildConfig(*req, keys)
}

// BuildConfig is the helper's whole policy for a tunnel a caller asks for:
// the profile must carry a valid signature by one of the trusted keys; the
// peer, allowed IPs (routes) and DNS come from the verified profile only;
// the caller gives the private key and, optionally, the addresses.
func BuildConfig(req UpRequest, trusted []minisign.PublicKey) (tunnel.Config, error) {
	if err := profile.VerifySignature(req.Profile, req.Signature, trusted); err != nil {
		return tunnel.Config{}, err
	}
	p, err := profile.Parse("profile.toml", req.Profile)
	if err != nil {
		return tunnel.Config{}, errorf(CodeInvalidProfile, "%v", err)
	}
	if req.PrivateKey == (tunnel.Key{}) {
		return tunnel.Config{}, errorf(CodeBadRequest, "no private key")
	}
	if len(req.Addresses) > MaxAddresses {
		return tunnel.Config{}, errorf(CodeBadRequest, "%d addresses (at most %d)", len(req.Addresses), MaxAddresses)
	}
	allowed := clientNetworks(p.Tunnel)
	for _, a := range req.Addresses {
		if !usableAddress(a) {
			return tunnel.Config{}, errorf(CodeBadRequest, "address %s cannot be a tunnel address", a)
		}
		// A caller names its own address in the tunnel, never a network:
		// a prefix would route it (a member once routed 128.0.0.0/1 and
		// took the LAN gateway's address).
		if a.Bits() != a.Addr().BitLen() {
			return tunnel.Config{}, errorf(CodeBadRequest, "address %s is a network, not one address (/32 or /128)", a)
		}
		if !inAny(a.Addr(), allowed) {
			return tunnel.Config{}, errorf(CodeBadRequest, "address %s is outside the tunnel's networks in the signed profile", a)
		}
	}
	cfg, err := tunnel.FromProfile(p.Tunnel, req.PrivateKey, req.Addresses)
	if err != nil {
		return tunnel.Config{}, errorf(CodeInvalidProfile, "%v", err)
	}
	cfg.Peer.PresharedKey = req.PresharedKey
	return cfg, nil
}

// MaxAddresses bounds the tunnel addresses one Up may ask for.
const MaxAddresses = 4

// clientNetworks are where the signed profile lets a device's tunnel
// address be: its tunnel.address (when IT assigns it there) and the
// networks it routes through the tunnel (allowed_ips).
func clientNetworks(t profile.Tunnel) []netip.Prefix {
	var nets []netip.Prefix
	for _, s := range append(append([]string{}, t.Address...), t.AllowedIPs...) {
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
