package status

import (
	"testing"
	"time"

	"relais/internal/i18n"
)

// Every code has its words in both languages, the clause that follows
// "Cause : ", as every front end words it.
func TestTunnelFailureCodesWorded(t *testing.T) {
	t.Parallel()
	for _, code := range TunnelFailureCodes {
		for _, l := range []string{i18n.FR, i18n.EN} {
			key := "verdict.tunnel." + code
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
