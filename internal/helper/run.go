package helper

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
	// Ready, when set, is called once the socket accepts connections.
	Ready func(socket string)
}
