//go:build !linux && !windows

package tunnel

import "net"

// On macOS (and the other systems without an implementation here) Relais
// has no way yet to tell which user holds the other end of a local
// connection: the owning process of a port would take libproc's
// proc_pidfdinfo or the net.inet.tcp.pcblist_n sysctl, neither reachable
// without cgo today. The policy (see peer.go) is explicit: peerUnknowable,
// every local connection is served as before, the per-peer bound applies
// to all connections together, and the log says so once per tunnel.

// ownerPeer reports that the owner cannot be told from other users here.
func ownerPeer(*uint32) (peerID, error) { return "", errPeerUnknowable }

// identifyPeer cannot name the peer on this system.
func identifyPeer(net.Conn) (peerID, error) { return unknownPeer, errPeerUnknowable }
