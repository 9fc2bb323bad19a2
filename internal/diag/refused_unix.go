//go:build unix

package diag

import (
	"errors"
	"syscall"
)

// isRefused reports whether a connection was refused: the host answered.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
