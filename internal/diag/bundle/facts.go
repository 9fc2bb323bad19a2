package bundle

// The values of the parts of system.json and network.json: each part is
// {"value": …, "error": "…"}, its value one of these (or a string, a
// number, a list of lines, a map of variables).

// Unsupported is the error a part records for a fact this system does not
// offer (no /proc on macOS, no resolvectl without systemd-resolved): noted
// in its file, not a failure.
const Unsupported = "not available on this system"

// OSFacts is the operating system and its version.
type OSFacts struct {
	Name      string `json:"name,omitempty"`
	Version   string `json:"version,omitempty"`
	ID        string `json:"id,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	Pretty    string `json:"pretty_name,omitempty"`
	Source    string `json:"source"` // where it was read: /etc/os-release, sw_vers, ver
}

// RuntimeFacts is what the binary knows of itself and the machine.
type RuntimeFacts struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
	Go   string `json:"go"`
	CPUs int    `json:"cpus"`
}

// UserFacts is the person running Relais.
type UserFacts struct {
	Login string `json:"login"`
	Name  string `json:"name,omitempty"`
	UID   string `json:"uid,omitempty"`
	Home  string `json:"home,omitempty"`
}

// IfaceFacts is one network interface.
type IfaceFacts struct {
	Name      string   `json:"name"`
	Index     int      `json:"index"`
	MTU       int      `json:"mtu"`
	Flags     []string `json:"flags"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses"`
	Error     string   `json:"error,omitempty"` // the addresses could not be read
}

// Route is one line of the routing table.
type Route struct {
	Iface       string   `json:"iface"`
	Destination string   `json:"destination"` // a prefix: 0.0.0.0/0 is the default route
	Gateway     string   `json:"gateway,omitempty"`
	Source      string   `json:"source,omitempty"` // IPv6 source-specific routes
	Metric      uint32   `json:"metric"`
	Flags       []string `json:"flags"`
	MTU         int      `json:"mtu,omitempty"`
}

// RouteText is a routing table as a tool printed it, where there is no
// /proc (macOS, Windows).
type RouteText struct {
	Command string   `json:"command"`
	Lines   []string `json:"lines"`
}

// ResolvConf is what /etc/resolv.conf says.
type ResolvConf struct {
	Nameservers []string `json:"nameservers"`
	Search      []string `json:"search,omitempty"`
	Options     []string `json:"options,omitempty"`
}

// GatewayProbe says whether a default gateway answers.
type GatewayProbe struct {
	Address   string  `json:"address"`
	Iface     string  `json:"iface"`
	Method    string  `json:"method"` // ping, or tcp (a connection tried to ports 53, 80, 443: refused counts as an answer)
	Reachable bool    `json:"reachable"`
	RTTMS     float64 `json:"rtt_ms,omitempty"`
	Detail    string  `json:"detail,omitempty"` // why not, or what answered
}
