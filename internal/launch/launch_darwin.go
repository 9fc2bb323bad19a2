package launch

import (
	"os/exec"
	"path/filepath"
	"syscall"
)

// defaultHandler: open(1), which asks Launch Services for the URL's
// handler.
func defaultHandler(url string, _ func(string) string) (string, []string) {
	return "/usr/bin/open", []string{url}
}

// browserCandidates: the executables inside the application bundles, in
// /Applications then ~/Applications; Chromium family first, then Firefox.
func browserCandidates(getenv func(string) string) []candidate {
	apps := []struct {
		name   string
		family family
		exe    string
	}{
		{"chromium", chromium, "Chromium.app/Contents/MacOS/Chromium"},
		{"google-chrome", chromium, "Google Chrome.app/Contents/MacOS/Google Chrome"},
		{"microsoft-edge", chromium, "Microsoft Edge.app/Contents/MacOS/Microsoft Edge"},
		{"brave-browser", chromium, "Brave Browser.app/Contents/MacOS/Brave Browser"},
		{"firefox", firefox, "Firefox.app/Contents/MacOS/firefox"},
	}
	roots := []string{"/Applications"}
	if home := getenv("HOME"); home != "" {
		roots = append(roots, filepath.Join(home, "Applications"))
	}
	var list []candidate
	for _, a := range apps {
		for _, root := range roots {
			list = append(list, candidate{a.name, a.family, filepath.Join(root, a.exe)})
		}
	}
	return list
}

// configure starts the program in its own session, so that Ctrl+C in the
// terminal of `relais open` does not reach the browser.
func configure(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
