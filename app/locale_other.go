//go:build !linux || !cgo

package app

// restoreLocaleEnv has nothing to restore where the locale is not read
// from POSIX variables at load time.
func restoreLocaleEnv() {}
