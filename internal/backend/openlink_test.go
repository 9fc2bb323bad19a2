package backend

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/launch"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// How `relais open` opens a link, from the tunnel a live process records.
func TestLinkProxy(t *testing.T) {
	t.Parallel()
	userspace := tunnel.Status{Mode: tunnel.ModeUserspace, Up: true, SOCKS5: "127.0.0.1:1080", HTTPProxy: "127.0.0.1:8080"}
	tests := []struct {
		name      string
		via       string
		pid       int           // 0: nothing recorded
		st        tunnel.Status // what the record holds
		wantMode  tunnel.Mode
		wantProxy *launch.Proxy
		wantKey   string // the error's
	}{
		{"direct, no tunnel", "direct", 0, tunnel.Status{}, "", nil, ""},
		{"direct, a tunnel up", "direct", os.Getpid(), userspace, "", nil, ""},
		{"tunnel, none recorded", "tunnel", 0, tunnel.Status{}, "", nil, "cli.open.no_tunnel"},
		{"tunnel, its writer gone", "tunnel", deadPID, userspace, "", nil, "cli.open.no_tunnel"},
		{"tunnel, recorded down", "tunnel", os.Getpid(), tunnel.Status{Mode: tunnel.ModeUserspace}, "", nil, "cli.open.no_tunnel"},
		{"tunnel, userspace", "tunnel", os.Getpid(), userspace, tunnel.ModeUserspace, &launch.Proxy{SOCKS5: "127.0.0.1:1080", HTTP: "127.0.0.1:8080"}, ""},
		{"tunnel, userspace without proxy", "tunnel", os.Getpid(), tunnel.Status{Mode: tunnel.ModeUserspace, Up: true}, tunnel.ModeUserspace, nil, "cli.open.no_proxy"},
		{"tunnel, system: the routes carry it", "tunnel", os.Getpid(), tunnel.Status{Mode: tunnel.ModeSystem, Up: true}, tunnel.ModeSystem, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := statusMachine(t)
			if tt.pid != 0 {
				b, _ := json.Marshal(engine.Snapshot{Tunnel: tt.st})
				if err := m.DB.RecordLive(context.Background(), store.LiveRecord{PID: tt.pid, SnapshotJSON: string(b), UpdatedAt: liveNow}); err != nil {
					t.Fatal(err)
				}
			}
			mode, proxy, err := m.LinkProxy(context.Background(), &profile.Link{ID: "paie", Via: tt.via})
			var fe *frontend.Error
			switch {
			case tt.wantKey == "" && err != nil:
				t.Fatalf("LinkProxy: %v", err)
			case tt.wantKey != "" && (!errors.As(err, &fe) || fe.Key != tt.wantKey):
				t.Fatalf("LinkProxy error = %v, want %s", err, tt.wantKey)
			}
			if err == nil && (mode != tt.wantMode || (proxy == nil) != (tt.wantProxy == nil) || (proxy != nil && *proxy != *tt.wantProxy)) {
				t.Errorf("LinkProxy = %q %+v, want %q %+v", mode, proxy, tt.wantMode, tt.wantProxy)
			}
		})
	}
}
