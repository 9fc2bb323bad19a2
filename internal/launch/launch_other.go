//go:build !linux && !darwin && !windows

package launch

import "os/exec"

// Other Unix systems (the BSDs) follow freedesktop.org as Linux does.

func defaultHandler(url string, _ func(string) string) (string, []string) {
	return "xdg-open", []string{url}
}

func browserCandidates(func(string) string) []candidate {
	return []candidate{
		{"chromium", chromium, "chromium"},
		{"chromium-browser", chromium, "chromium-browser"},
		{"firefox", firefox, "firefox"},
	}
}

func configure(*exec.Cmd) {}
