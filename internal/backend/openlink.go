package backend

import (
	"context"

	"relais/internal/frontend"
	"relais/internal/launch"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// LinkProxy is how link opens, as `relais open` opens it: a direct link
// as is (no proxy, no mode); a tunnel link through the tunnel a live
// process records (ReadLive: up, and its record fresh, as `relais status`
// judges it), mode being that tunnel's, and proxy its local one
// (TunnelProxy: none in system mode). Its errors are *frontend.Error:
// cli.open.no_tunnel when no tunnel is up, cli.open.no_proxy when the
// userspace tunnel records no proxy.
func (m *Machine) LinkProxy(ctx context.Context, link *profile.Link) (mode tunnel.Mode, proxy *launch.Proxy, err error) {
	if link.Via != "tunnel" {
		return "", nil, nil
	}
	l, ok := ReadLive(ctx, m.DB, m.Env.Now)
	if !ok || !l.Tunnel().Up {
		return "", nil, frontend.Errorf("cli.open.no_tunnel", link.ID)
	}
	st := l.Tunnel()
	proxy, err = TunnelProxy(st)
	return st.Mode, proxy, err
}
