package helper

import "net"

// peerOwner checks, after connecting, that the process listening on the
// socket is root (SO_PEERCRED: its credentials when it listened), so that
// a socket swapped in between the owner check and the connection is
// refused too.
func peerOwner(c net.Conn, path string) error {
	cred, err := peerCred(c)
	if err != nil {
		return errorf(CodeNotRoot, "cannot tell who serves %s: %v: nothing was sent to it", path, err)
	}
	if !trustedServer(cred.Uid) {
		return errorf(CodeNotRoot, "%s is served by uid %d (pid %d), not root: nothing was sent to it", path, cred.Uid, cred.Pid)
	}
	return nil
}
