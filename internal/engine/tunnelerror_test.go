package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"relais/internal/helper"
	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/tunnel"
)

// A tunnel that cannot come up is a code, whatever wraps the error, and
// every code has its words in both languages.
func TestTunnelFailureCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("identity: %w", tunnel.ErrNoAddress), TunnelNoAddress},
		{fmt.Errorf("x: %w", secrets.ErrNoKey), TunnelNoIdentity},
		{fmt.Errorf("x: %w", secrets.ErrNoKeyring), TunnelNoKeyring},
		{fmt.Errorf("tunnel: resolve endpoint %q: %w", "vpn.example.org", &net.DNSError{Err: "no such host", Name: "vpn.example.org"}), TunnelEndpoint},
		{fmt.Errorf("start: %w", context.DeadlineExceeded), TunnelTimeout},
		{fmt.Errorf("system tunnel: %w", &helper.Error{Code: helper.CodeForbidden, Message: "uid 1000 is not in group relais"}), TunnelHelperRefused},
		{fmt.Errorf("%w at /run/relais/helper.sock: %w", helper.ErrNoHelper, errors.New("connection refused")), TunnelNoHelper},
		{&CodedTunnelError{Code: TunnelKeyMismatch, Err: errors.New("the private key in the keyring does not match the recorded public key")}, TunnelKeyMismatch},
		{fmt.Errorf("x: %w", &CodedTunnelError{Code: TunnelNoIdentity, Err: errors.New("Impossible de préparer le tunnel : ce poste n'a pas de clé.")}), TunnelNoIdentity},
		{&CodedTunnelError{Code: "no_such_code", Err: errors.New("x")}, TunnelFailed},
		{errors.New("wireguard: something else"), TunnelFailed},
	} {
		got := TunnelFailureCode(tt.err)
		if got != tt.want {
			t.Errorf("%v: %q, want %q", tt.err, got, tt.want)
		}
	}
}

// A tunnel that cannot come up is recorded as a code, in the snapshot and
// in the timeline (and so in the store): the error, whatever its language,
// is only the entry's detail, for the log.
func TestEngineRecordsTunnelFailureCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"helper refused", fmt.Errorf("system tunnel: %w", &helper.Error{Code: helper.CodeForbidden, Message: "uid 1000 is not in group relais"}), TunnelHelperRefused},
		{"no helper", fmt.Errorf("%w at /run/relais/helper.sock: connection refused", helper.ErrNoHelper), TunnelNoHelper},
		{"no identity, worded by the caller", &CodedTunnelError{Code: TunnelNoIdentity, Err: errors.New("Impossible de préparer le tunnel : créez une clé.")}, TunnelNoIdentity},
		{"anything else", errors.New("wireguard: bind: address already in use"), TunnelFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newMemFixture(t)
			e := f.engine()
			e.Once = true
			e.HandshakeWait = time.Millisecond
			e.StartTunnel = func(context.Context, *profile.Profile) (tunnel.Tunnel, bool, error) {
				return nil, false, tt.err
			}
			if err := e.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-e.Done()
			s := e.Snapshot()
			if s.TunnelErrorCode != tt.want || s.TunnelFailure() != tt.want || s.TunnelError != tt.err.Error() {
				t.Errorf("code %q, failure %q, error %q; want %q", s.TunnelErrorCode, s.TunnelFailure(), s.TunnelError, tt.want)
			}
			var failed []TimelineEntry
			for _, te := range s.Timeline {
				if te.Kind == EventTunnelFailed {
					failed = append(failed, te)
				} else if te.Code != "" {
					t.Errorf("%s has code %q", te.Kind, te.Code)
				}
			}
			if len(failed) != 1 || failed[0].Code != tt.want || failed[0].Detail != tt.err.Error() {
				t.Errorf("tunnel_failed entries %+v, want one with code %q", failed, tt.want)
			}
			// What the store recorded, as `relais status` and the bundle read it.
			lives, err := f.db.Live(context.Background())
			if err != nil || len(lives) == 0 {
				t.Fatal(err, lives)
			}
			var rec Snapshot
			if err := json.Unmarshal([]byte(lives[0].SnapshotJSON), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.TunnelFailure() != tt.want || !slices.ContainsFunc(rec.Timeline, func(te TimelineEntry) bool {
				return te.Kind == EventTunnelFailed && te.Code == tt.want
			}) {
				t.Errorf("recorded: %s", lives[0].SnapshotJSON)
			}
		})
	}
}

// A Start that cannot load the profile records its stop with a code.
func TestEngineStopNoProfileCode(t *testing.T) {
	t.Parallel()
	f := newMemFixture(t)
	e := f.engine()
	e.LoadProfile = func(context.Context) (*Loaded, error) {
		return nil, errors.New("Aucun profil de continuité sur cet ordinateur.")
	}
	if err := e.Start(context.Background()); err == nil {
		t.Fatal("Start without a profile: no error")
	}
	s := e.Snapshot()
	last := s.Timeline[len(s.Timeline)-1]
	if !s.Stopped || last.Kind != EventStopped || last.Code != StopNoProfile {
		t.Errorf("stopped %v, last entry %+v", s.Stopped, last)
	}
}
