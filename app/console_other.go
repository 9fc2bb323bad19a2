//go:build !windows

package app

// detachOwnConsole matters on Windows only (console_windows.go).
func detachOwnConsole() {}
