//go:build linux

package app

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"relais/internal/testenv"
)

// The tray counts as shown only when a StatusNotifier host registered
// with the watcher on the session bus: no watcher (stock GNOME) is no
// tray, a watcher without a host is no tray, a watcher with a host is.
// Against a real dbus-daemon.
func TestTrayShownAsksTheSessionBus(t *testing.T) {
	testenv.NeedTools(t, "dbus-daemon")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))

	if trayShown() {
		t.Fatal("tray shown with no StatusNotifierWatcher on the bus")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	props, err := prop.Export(conn, "/StatusNotifierWatcher", prop.Map{"org.kde.StatusNotifierWatcher": {
		"IsStatusNotifierHostRegistered": {Value: false, Writable: true, Emit: prop.EmitFalse},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
	if trayShown() {
		t.Fatal("tray shown with a watcher but no host")
	}
	props.SetMust("org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered", true)
	if !trayShown() {
		t.Fatal("tray not shown with a registered host")
	}
}
