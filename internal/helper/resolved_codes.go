package helper

const (
	// CodeNoResolver: systemd-resolved is not on the system bus and the
	// helper may not rewrite /etc/resolv.conf (the shipped unit does not
	// let it write /etc), so the tunnel's DNS cannot be set.
	CodeNoResolver Code = "no_resolver"
)
