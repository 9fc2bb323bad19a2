//go:build windows

package sysproxy

// Detect returns the desktops whose proxy setting Relais changes: on
// Windows, the current user's WinINET setting, always there. getenv is
// unused (the signature is the other platforms').
func Detect(getenv func(string) string) []Desktop { return []Desktop{NewWindows()} }
