package checks

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"relais/internal/testenv"
)

// TestNMConnectivity reads the verdict of a NetworkManager stand-in on a
// real dbus-daemon given as the system bus: none without a bus, none
// without NetworkManager on it, then each state it publishes.
func TestNMConnectivity(t *testing.T) {
	testenv.NeedTools(t, "dbus-daemon")
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "absent"))
	if s, ok := NMConnectivity(context.Background()); ok {
		t.Fatalf("no bus: verdict %d", s)
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", strings.TrimSpace(addr))
	if s, ok := NMConnectivity(context.Background()); ok {
		t.Fatalf("no NetworkManager: verdict %d", s)
	}
	conn, err := dbus.Connect(strings.TrimSpace(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	props, err := prop.Export(conn, "/org/freedesktop/NetworkManager", prop.Map{"org.freedesktop.NetworkManager": {
		"Connectivity": {Value: uint32(NMConnectivityFull), Writable: true, Emit: prop.EmitFalse},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.NetworkManager", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
	for _, want := range []uint32{NMConnectivityFull, NMConnectivityPortal, NMConnectivityNone} {
		props.SetMust("org.freedesktop.NetworkManager", "Connectivity", want)
		if s, ok := NMConnectivity(context.Background()); !ok || s != want {
			t.Errorf("verdict %d %v, want %d", s, ok, want)
		}
	}
}

// TestCaptiveSystemVerdict: the system's "portal" verdict fails the captive
// built-in even when the probe passes or cannot connect; any other verdict,
// or none, leaves the probe's.
func TestCaptiveSystemVerdict(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	verdict := func(s uint32, ok bool) func(context.Context) (uint32, bool) {
		return func(context.Context) (uint32, bool) { return s, ok }
	}
	closed := "http://" + closedPort(t) + "/"
	cases := []struct {
		name  string
		url   string
		conn  func(context.Context) (uint32, bool)
		state State
		code  string
	}{
		{"portal, probe ok", srv.URL, verdict(NMConnectivityPortal, true), StateFailed, CodeCaptivePortal},
		{"portal, no connection", closed, verdict(NMConnectivityPortal, true), StateFailed, CodeCaptivePortal},
		{"full, probe ok", srv.URL, verdict(NMConnectivityFull, true), StateOK, ""},
		{"limited, probe ok", srv.URL, verdict(NMConnectivityLimited, true), StateOK, ""},
		{"no verdict, probe ok", srv.URL, verdict(0, false), StateOK, ""},
		{"full, no connection", closed, verdict(NMConnectivityFull, true), StateFailed, CodeNoInternet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{CaptiveURL: tc.url, Connectivity: tc.conn, Contacts: helpdesk}
			wantReason(t, r.Run(context.Background(), captiveOnly).Builtins["captive"], tc.state, tc.code)
		})
	}
}
