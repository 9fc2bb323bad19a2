package backend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"relais/internal/frontend"
)

// relais up refuses a mode it does not know, and a tunnel another holds.
func TestUpSessionRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := statusMachine(t)
	m.Managed = nil
	var fe *frontend.Error
	if _, _, err := m.UpSession(ctx, "carrier-pigeon", SessionOptions{}); !errors.As(err, &fe) || fe.Key != "cli.tunnel.bad_mode" {
		t.Errorf("UpSession = %v, want cli.tunnel.bad_mode", err)
	}
	held, err := m.ClaimTunnel(ctx, "instance.desk.running")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	if _, _, err := m.UpSession(ctx, "userspace", SessionOptions{}); !errors.As(err, &fe) || !strings.HasPrefix(fe.Key, "instance.up.running") {
		t.Errorf("UpSession while the tunnel is held = %v, want instance.up.running", err)
	}
}
