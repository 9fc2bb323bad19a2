package helper

// Codes of the system backend's own refusals (the constants live here,
// outside the platform files, so that every front end can name them).
const (
	// CodeAddressInUse: a tunnel address the caller asked for is already
	// on one of the machine's interfaces, or inside a network another
	// interface reaches directly (the LAN, another VPN): taking it would
	// capture the machine's traffic to that host.
	CodeAddressInUse Code = "address_in_use"
)
