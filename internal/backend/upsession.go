package backend

import (
	"context"
	"fmt"

	"relais/internal/tunnel"
)

// UpSession prepares `relais up`'s Mode urgence, until stopped: it adopts
// a newer bootstrap file, picks the tunnel mode (ChooseMode, with modeFlag
// a front end's choice) and takes the device's tunnel (NewSession; a
// tunnel another process holds is instance.up.running). The caller
// subscribes to the session's engine, then starts it (Session.Start) and
// waits for the tunnel (WaitUp). Its errors are *frontend.Error.
func (m *Machine) UpSession(ctx context.Context, modeFlag string, opt SessionOptions) (*Session, tunnel.Mode, error) {
	m.AdoptBootstrap(ctx) // a newer copy installed by a package
	mode, err := m.ChooseMode(ctx, modeFlag)
	if err != nil {
		return nil, "", err
	}
	opt.SystemProxy, _ = m.SystemProxyOn(ctx)
	s, err := m.NewSession(ctx, mode, opt, "instance.up.running")
	if err != nil {
		return nil, "", err
	}
	s.notices = true // relais up fetches the notices as the app does
	return s, mode, nil
}

// WaitUp waits for the first start of the session's tunnel (WaitTunnel)
// and logs it. When the tunnel could not start, or ctx ended first, the
// session is stopped and the error is WaitTunnel's.
func (s *Session) WaitUp(ctx context.Context) (tunnel.Status, error) {
	st, err := s.WaitTunnel(ctx)
	if err != nil {
		s.Stop()
		return st, err
	}
	s.logTunnel("tunnel up, mode %s", st.Mode)
	return st, nil
}

// Down ends the session (Stop) and logs it; its error is Stop's.
func (s *Session) Down() error {
	err := s.Stop()
	s.logTunnel("tunnel down")
	return err
}

// logTunnel records a line of the tunnel's life in the store's log.
func (s *Session) logTunnel(format string, a ...any) {
	_ = s.m.DB.LogEvent(context.Background(), "tunnel", fmt.Sprintf(format, a...))
}
