//go:build !unix

package diag

import (
	"errors"
	"syscall"
)

// isRefused reports whether a connection was refused: the host answered
// (WSAECONNREFUSED on Windows).
func isRefused(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == 10061
}
