package helper

import "time"

// Options are `relais helper`'s settings.
type Options struct {
	Socket     string // default DefaultSocket
	Group      string // name or numeric id; default DefaultGroup
	Interface  string // default DefaultInterface
	ConfigPath string // the managed configuration holding the trusted keys
	// StatePath records what the helper changed; default state.json beside
	// the socket.
	StatePath string
	// StateDir holds the high-water mark (MarkFileName), root's only;
	// default DefaultStateDir (systemd's StateDirectory, else
	// /var/lib/relais). Unlike StatePath it must outlive a reboot.
	StateDir string
	// ResolvConf is the resolver configuration rewritten when
	// systemd-resolved does not serve DNS; default /etc/resolv.conf.
	ResolvConf string
	// Logf receives the service's log lines (never a key).
	Logf func(format string, args ...any)
	// ReresolveEvery is how often, while a tunnel is up, the endpoint's
	// name is resolved again (tunnel.RoamOptions.Every; 0: 5 s).
	ReresolveEvery time.Duration
	// EndpointStaleAfter is how long the gateway may stay silent before
	// the next endpoint is tried (tunnel.RoamOptions.StaleAfter; 0:
	// 180 s). Tests shorten it.
	EndpointStaleAfter time.Duration
	// Ready, when set, is called once the socket accepts connections.
	Ready func(socket string)
}
