//go:build darwin || windows

package secrets

// osSessionBusProblem: macOS and Windows keyrings need no D-Bus.
func osSessionBusProblem() error { return nil }
