package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"relais/internal/i18n"
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
		{errors.New("wireguard: something else"), TunnelFailed},
	} {
		got := TunnelFailureCode(tt.err)
		if got != tt.want {
			t.Errorf("%v: %q, want %q", tt.err, got, tt.want)
		}
		for _, l := range []string{i18n.FR, i18n.EN} {
			key := "verdict.tunnel." + got
			if w := i18n.T(l, key); w == key || w == "" {
				t.Errorf("%s: no words for %s", l, key)
			}
		}
	}
}

// A snapshot's tunnel failure is its code; one recorded by an older Relais
// has only the error, and is the catch-all code; the verdict follows the
// code as much as the error.
func TestSnapshotTunnelFailure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s    Snapshot
		want string
	}{
		{Snapshot{}, ""},
		{Snapshot{TunnelError: "tunnel: resolve endpoint: no such host", TunnelErrorCode: TunnelEndpoint}, TunnelEndpoint},
		{Snapshot{TunnelError: "tunnel: helper: no handshake within 30s"}, TunnelFailed},
		{Snapshot{TunnelErrorCode: TunnelNoIdentity}, TunnelNoIdentity},
	} {
		if got := tt.s.TunnelFailure(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
		tt.s.Phase, tt.s.Started = PhaseFailed, time.Now()
		if v := Judge(tt.s); v.TunnelFailed != (tt.want != "") {
			t.Errorf("%+v: verdict %+v", tt.s, v)
		}
	}
}
