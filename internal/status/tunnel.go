package status

import "time"

// Mode is how the tunnel is made.
type Mode string

// Modes. Auto picks System when the helper answers, else Userspace.
const (
	ModeAuto      Mode = "auto"
	ModeUserspace Mode = "userspace"
	ModeSystem    Mode = "system"
)

// Tunnel is the state of a tunnel, the same struct in both modes.
type Tunnel struct {
	Mode      Mode   `json:"mode"`
	Up        bool   `json:"up"`
	Interface string `json:"interface,omitempty"` // system mode: the TUN interface name
	Endpoint  string `json:"endpoint"`            // the peer's endpoint as resolved
	// EndpointName is the endpoint in use as the profile names it
	// (host:port), when the tunnel knows it: userspace mode, which
	// re-resolves it and may have gone to a standby one.
	EndpointName  string    `json:"endpoint_name,omitempty"`
	Addresses     []string  `json:"addresses"`
	LastHandshake time.Time `json:"last_handshake"` // zero: none yet
	RxBytes       int64     `json:"rx_bytes"`
	TxBytes       int64     `json:"tx_bytes"`
	SOCKS5        string    `json:"socks5,omitempty"`     // userspace mode: the local SOCKS5 proxy address
	HTTPProxy     string    `json:"http_proxy,omitempty"` // userspace mode: the local HTTP proxy address
}

// EndpointShown is the endpoint in use for people and logs: the name and
// the address it resolved to, "vpn-secours.example.org:51820
// (192.0.2.7:51820)", or whichever of the two is known.
func (s Tunnel) EndpointShown() string {
	switch {
	case s.EndpointName == "" || s.EndpointName == s.Endpoint:
		return s.Endpoint
	case s.Endpoint == "":
		return s.EndpointName
	}
	return s.EndpointName + " (" + s.Endpoint + ")"
}

// HandshakeAge is how long ago the last handshake was, or -1 if none.
func (s Tunnel) HandshakeAge(now time.Time) time.Duration {
	if s.LastHandshake.IsZero() {
		return -1
	}
	return now.Sub(s.LastHandshake)
}
