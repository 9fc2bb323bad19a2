package checks

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// NetworkManager's connectivity states (NMConnectivityState), the verdict
// of its own captive-portal probe.
const (
	NMConnectivityUnknown = 0
	NMConnectivityNone    = 1
	NMConnectivityPortal  = 2
	NMConnectivityLimited = 3
	NMConnectivityFull    = 4
)

// nmTimeout bounds the reading of the operating system's verdict: a local
// D-Bus call, which answers at once or not at all.
const nmTimeout = time.Second

// NMConnectivity reads NetworkManager's connectivity verdict from the
// system bus. ok is false when there is no system bus, NetworkManager does
// not run, or it does not answer within ctx (and at most a second).
func NMConnectivity(ctx context.Context) (state uint32, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, nmTimeout)
	defer cancel()
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	return nmConnectivity(ctx, conn)
}

func nmConnectivity(ctx context.Context, conn *dbus.Conn) (uint32, bool) {
	var v dbus.Variant
	obj := conn.Object("org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager")
	if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.NetworkManager", "Connectivity").Store(&v); err != nil {
		return 0, false
	}
	s, ok := v.Value().(uint32)
	return s, ok
}
