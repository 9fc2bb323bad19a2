package launch

import (
	"os/exec"
	"syscall"
)

// defaultHandler: xdg-open, which asks the desktop for the URL's handler.
func defaultHandler(url string, _ func(string) string) (string, []string) {
	return "xdg-open", []string{url}
}

// browserCandidates: Chromium family first (the proxy is set by flags,
// nothing written to disk), then Firefox; names as distributions install
// them in PATH.
func browserCandidates(func(string) string) []candidate {
	return []candidate{
		{"chromium", chromium, "chromium"},
		{"chromium-browser", chromium, "chromium-browser"},
		{"google-chrome", chromium, "google-chrome"},
		{"google-chrome-stable", chromium, "google-chrome-stable"},
		{"microsoft-edge", chromium, "microsoft-edge"},
		{"microsoft-edge-stable", chromium, "microsoft-edge-stable"},
		{"brave-browser", chromium, "brave-browser"},
		{"firefox", firefox, "firefox"},
		{"firefox-esr", firefox, "firefox-esr"},
	}
}

// configure starts the program in its own session, so that Ctrl+C in the
// terminal of `relais open` does not reach the browser.
func configure(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
