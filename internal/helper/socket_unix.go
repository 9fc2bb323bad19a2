//go:build !windows

package helper

import (
	"context"
	"net"
	"os"
	"syscall"
)

// dialSocket connects to the helper's Unix socket, refusing one that root
// does not serve before anything is sent: the socket file must belong to
// root, and the process listening on it must be root (the kernel says so
// after connecting, where the platform tells: peerOwner). Another local
// user who made a socket at the path the client is told to use (a
// RELAIS_HELPER_SOCKET in a shared directory, a helper not yet started)
// never receives the device's private key.
//
// The caller's own user is accepted as well as root: a helper that user
// runs (tests, development) can only receive a key that user already
// holds.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err // nothing there: no helper
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok {
		return nil, errorf(CodeNotRoot, "cannot read the owner of %s: nothing was sent to it", path)
	} else if !trustedServer(st.Uid) {
		return nil, errorf(CodeNotRoot, "%s belongs to uid %d, not root: nothing was sent to it", path, st.Uid)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if err := peerOwner(c, path); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// trustedServer reports whether uid may serve the helper's API to this
// process: root, or this process's own user.
func trustedServer(uid uint32) bool {
	return uid == 0 || uid == uint32(os.Geteuid())
}
