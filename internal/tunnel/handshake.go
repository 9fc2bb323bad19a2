package tunnel

import (
	"encoding/hex"
	"fmt"
	"time"

	"golang.zx2c4.com/wireguard/device"
)

// InitiateHandshake makes an up wireguard-go device start a handshake with
// peer now, whatever its persistent keepalive. WireGuard only shakes hands
// when it has something to send: without persistent_keepalive, and with
// every app waiting for the tunnel check before it sends anything, nothing
// would ever start it.
//
// wireguard-go's own initiation (Peer.SendHandshakeInitiation) is not
// exported; what is: turning persistent_keepalive_interval on for a peer
// of an up device queues a keepalive at once (device/uapi.go,
// handlePostConfig), and a keepalive without a session starts the
// handshake (the keepalive goes out once it completes). The interval is
// then put back to keepalive, in a second set: a keepalive timer that
// fires meanwhile reads the interval again and sends nothing when it is 0.
// Neither set carries a key other than the peer's public key.
func InitiateHandshake(dev *device.Device, peer Key, keepalive time.Duration) error {
	pub := hex.EncodeToString(peer[:])
	restore := int(keepalive / time.Second)
	// Off first, so that the next set turns it on: wireguard-go sends the
	// immediate keepalive only on an off → on change.
	set := func(secs int) error {
		return dev.IpcSet(fmt.Sprintf("public_key=%s\nupdate_only=true\npersistent_keepalive_interval=%d\n", pub, secs))
	}
	if err := set(0); err != nil {
		return fmt.Errorf("tunnel: initiate handshake: %w", err)
	}
	on := restore
	if on == 0 {
		on = 1
	}
	if err := set(on); err != nil {
		return fmt.Errorf("tunnel: initiate handshake: %w", err)
	}
	if on != restore {
		if err := set(restore); err != nil {
			return fmt.Errorf("tunnel: initiate handshake: %w", err)
		}
	}
	return nil
}
