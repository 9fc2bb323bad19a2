package helper

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"relais/internal/tunnel"
)

// Client is the typed client of the helper's API: one connection, one
// request at a time. A tunnel brought up through a Client lives as long as
// its connection.
type Client struct {
	hello Hello

	mu     sync.Mutex // guards the connection's request/response turn and broken
	conn   net.Conn
	r      *bufio.Reader
	broken error // set once a read or write failed: the connection is unusable
}

// ErrNoHelper means nothing answered on the helper's socket.
var ErrNoHelper = errors.New("helper: no helper answers")

// Dial connects to the helper at socket and reads its greeting. It fails
// fast when nothing answers (no socket, nobody listening, no greeting in
// time) and returns the helper's *Error when the helper refuses the caller.
func Dial(ctx context.Context, socket string) (*Client, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
	}
	conn, err := dialEndpoint(ctx, socket)
	var he *Error
	if errors.As(err, &he) {
		return nil, err // an endpoint refused before anything was sent (CodeNotRoot)
	}
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w", ErrNoHelper, socket, err)
	}
	c := &Client{conn: conn, r: bufio.NewReader(conn)}
	var resp Response
	if err := c.exchange(ctx, nil, &resp); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w at %s: %w", ErrNoHelper, socket, err)
	}
	if resp.Error != nil {
		conn.Close()
		return nil, resp.Error
	}
	if resp.Hello == nil || resp.Hello.Version != ProtocolVersion {
		conn.Close()
		return nil, fmt.Errorf("helper: %s speaks another protocol version", socket)
	}
	c.hello = *resp.Hello
	return c, nil
}

// dialEndpoint connects to the helper's endpoint, a Unix socket or, on
// Windows, a named pipe, and checks that root (SYSTEM) serves it before
// anything is sent: the device's private key goes to the helper only.
var dialEndpoint = dialSocket

// Interface is the name of the helper's TUN interface.
func (c *Client) Interface() string { return c.hello.Interface }

// exchange sends req (nil: send nothing) and reads one response, within
// ctx's deadline.
func (c *Client) exchange(ctx context.Context, req *Request, resp *Response) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(dl)
		defer c.conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(err error) error {
		c.broken = fmt.Errorf("helper: connection lost: %w", err)
		return c.broken
	}
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return err
		}
		if _, err := c.conn.Write(append(b, '\n')); err != nil {
			return fail(err)
		}
	}
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		return fail(err)
	}
	if err := json.Unmarshal(line, resp); err != nil {
		return fail(err)
	}
	return nil
}

func (c *Client) do(ctx context.Context, req Request) (*tunnel.Status, error) {
	var resp Response
	if err := c.exchange(ctx, &req, &resp); err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	if resp.Status == nil {
		return nil, errors.New("helper: answer without a status")
	}
	return resp.Status, nil
}

// Up asks the helper to bring the tunnel up, replacing any tunnel already
// up. The returned Tunnel dials with the system's network stack (the
// helper's routes and DNS reach the tunnel); closing it brings the tunnel
// down and closes the client.
func (c *Client) Up(ctx context.Context, req UpRequest) (tunnel.Tunnel, error) {
	st, err := c.do(ctx, Request{Op: OpUp, Up: &req})
	if err != nil {
		return nil, err
	}
	return &systemTunnel{c: c, last: *st}, nil
}

// Down asks the helper to tear the tunnel down.
func (c *Client) Down(ctx context.Context) error {
	_, err := c.do(ctx, Request{Op: OpDown})
	return err
}

// Status asks the helper for the tunnel's state.
func (c *Client) Status(ctx context.Context) (tunnel.Status, error) {
	st, err := c.do(ctx, Request{Op: OpStatus})
	if err != nil {
		return tunnel.Status{Mode: tunnel.ModeSystem}, err
	}
	return *st, nil
}

// Close closes the connection; a tunnel this connection brought up goes
// down with it.
func (c *Client) Close() error { return c.conn.Close() }

// systemTunnel is a tunnel made by the helper, seen from the caller.
type systemTunnel struct {
	c      *Client
	dialer net.Dialer

	mu   sync.Mutex // guards last
	last tunnel.Status
}

func (t *systemTunnel) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	return t.dialer.DialContext(ctx, network, address)
}

func (t *systemTunnel) Status() tunnel.Status {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := t.c.Status(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		st = t.last
		st.Up = false
		return st
	}
	t.last = st
	return st
}

func (t *systemTunnel) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := t.c.Down(ctx)
	var he *Error
	if errors.As(err, &he) && (he.Code == CodeNotUp || he.Code == CodeNotOwner) {
		err = nil
	}
	if cerr := t.c.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}
