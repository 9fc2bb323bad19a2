//go:build windows

package helper

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"aead.dev/minisign"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"

	"relais/internal/tunnel"
)

// Run is `relais helper` on Windows. Started by the service manager (the
// RelaisHelper service the MSI installs), it runs as a service and stops on
// Stop or Shutdown; started from an elevated console, it serves until ctx
// ends (for diagnosis). Either way it serves the helper's API on the named
// pipe DefaultPipe.
//
// Bringing a tunnel up needs the wintun driver, which Relais does not ship
// yet: every up is answered with CodeNoDriver; status and down work.
func Run(ctx context.Context, o Options) error {
	inService, err := svc.IsWindowsService()
	if err != nil {
		return fmt.Errorf("helper: %w", err)
	}
	if inService {
		return runService(o)
	}
	return serveWindows(ctx, o)
}

func serveWindows(ctx context.Context, o Options) error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return ErrNotRoot
	}
	if o.Socket == "" {
		o.Socket = DefaultPipe
	}
	if o.Group == "" {
		o.Group = DefaultGroup
	}
	if o.Interface == "" {
		o.Interface = DefaultInterface
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	sid, isGroup := callersSID(o.Group)
	if !isGroup {
		o.Logf("group %q does not exist: every local user may use the helper (the profile is still verified against the trusted keys)", o.Group)
	}
	l, err := listenPipe(o.Socket, sid)
	if err != nil {
		return err
	}
	// The high-water mark is kept in memory unless a state directory is
	// given (no tunnel can come up on Windows yet: see noDriverBackend).
	var mark HighWater
	if o.StateDir != "" {
		mark = MarkFile{Path: filepath.Join(o.StateDir, MarkFileName)}
	}
	srv := &Server{
		HighWater:   mark,
		Backend:     &noDriverBackend{iface: o.Interface},
		TrustedKeys: func() ([]minisign.PublicKey, error) { return LoadTrustedKeys(o.ConfigPath) },
		// The pipe's DACL is the access check (see pipeSDDL).
		Interface: o.Interface,
		Logf:      o.Logf,
	}
	if o.Ready != nil {
		o.Ready(o.Socket)
	}
	return srv.Serve(ctx, l)
}

// noDriverBackend is the Windows backend until wintun is shipped: it
// verifies nothing more than the Server already did and refuses every up.
type noDriverBackend struct{ iface string }

func (b *noDriverBackend) Up(context.Context, tunnel.Config) error {
	return errorf(CodeNoDriver, "system mode on Windows needs the wintun driver, which this build of Relais does not include")
}

func (b *noDriverBackend) Down() error { return nil }

func (b *noDriverBackend) Status() tunnel.Status {
	return tunnel.Status{Mode: tunnel.ModeSystem, Interface: b.iface}
}

// runService runs the helper under the service manager. Its log lines go
// to the Application event log (source ServiceName, registered by the MSI)
// when it can be opened.
func runService(o Options) error {
	if el, err := eventlog.Open(ServiceName); err == nil {
		defer el.Close()
		prev := o.Logf
		var mu sync.Mutex
		o.Logf = func(format string, args ...any) {
			if prev != nil {
				prev(format, args...)
			}
			mu.Lock()
			defer mu.Unlock()
			_ = el.Info(1, fmt.Sprintf(format, args...))
		}
	}
	return svc.Run(ServiceName, &service{o: o})
}

type service struct{ o Options }

// Execute is the service's life: serve until Stop or Shutdown, then tear
// down (Server.Serve brings the tunnel down before it returns).
func (s *service) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	ready := make(chan struct{})
	o := s.o
	o.Ready = func(string) { close(ready) }
	go func() { done <- serveWindows(ctx, o) }()
	select {
	case <-ready:
	case err := <-done:
		s.logf("cannot start: %v", err)
		return false, 1
	}
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.Running, Accepts: accepts}
	for {
		select {
		case err := <-done:
			if err != nil {
				s.logf("stopped on an error: %v", err)
				return false, 1
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: 15000}
				cancel()
				select {
				case err := <-done:
					if err != nil {
						s.logf("stopped on an error: %v", err)
					}
				case <-time.After(15 * time.Second):
					s.logf("did not stop within 15 s")
				}
				return false, 0
			}
		}
	}
}

func (s *service) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}
