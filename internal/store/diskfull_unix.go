//go:build !windows

package store

import (
	"errors"
	"syscall"
)

// osDiskFull: no space left on the device, or the user's quota is used up.
func osDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
