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
	Mode          Mode      `json:"mode"`
	Up            bool      `json:"up"`
	Interface     string    `json:"interface,omitempty"` // system mode: the TUN interface name
	Endpoint      string    `json:"endpoint"`            // the peer's endpoint as resolved
	Addresses     []string  `json:"addresses"`
	LastHandshake time.Time `json:"last_handshake"` // zero: none yet
	RxBytes       int64     `json:"rx_bytes"`
	TxBytes       int64     `json:"tx_bytes"`
	SOCKS5        string    `json:"socks5,omitempty"`     // userspace mode: the local SOCKS5 proxy address
	HTTPProxy     string    `json:"http_proxy,omitempty"` // userspace mode: the local HTTP proxy address
}

// HandshakeAge is how long ago the last handshake was, or -1 if none.
func (s Tunnel) HandshakeAge(now time.Time) time.Duration {
	if s.LastHandshake.IsZero() {
		return -1
	}
	return now.Sub(s.LastHandshake)
}
