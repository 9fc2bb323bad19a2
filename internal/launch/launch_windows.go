package launch

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// defaultHandler: rundll32 url.dll,FileProtocolHandler, which hands the
// URL to ShellExecute without cmd.exe (`cmd /c start` would let cmd
// interpret & | ^ in a profile's URL). rundll32 is taken from System32,
// never from PATH.
func defaultHandler(url string, getenv func(string) string) (string, []string) {
	root := getenv("SystemRoot")
	if root == "" {
		root = `C:\Windows`
	}
	return filepath.Join(root, "System32", "rundll32.exe"), []string{"url.dll,FileProtocolHandler", url}
}

// browserCandidates: the usual install locations, machine-wide then per
// user; Chromium family first, then Firefox.
func browserCandidates(getenv func(string) string) []candidate {
	apps := []struct {
		name   string
		family family
		exe    string
	}{
		{"chromium", chromium, `Chromium\Application\chrome.exe`},
		{"google-chrome", chromium, `Google\Chrome\Application\chrome.exe`},
		{"microsoft-edge", chromium, `Microsoft\Edge\Application\msedge.exe`},
		{"brave-browser", chromium, `BraveSoftware\Brave-Browser\Application\brave.exe`},
		{"firefox", firefox, `Mozilla Firefox\firefox.exe`},
	}
	var roots []string
	for _, v := range []string{"ProgramFiles", "ProgramFiles(x86)", "LocalAppData"} {
		if d := getenv(v); d != "" {
			roots = append(roots, d)
		}
	}
	var list []candidate
	for _, a := range apps {
		for _, root := range roots {
			list = append(list, candidate{a.name, a.family, filepath.Join(root, a.exe)})
		}
	}
	return list
}

// configure gives rundll32 its command line as is. rundll32 passes what
// follows the DLL entry point, unparsed, to FileProtocolHandler: the
// quoting exec would add around a URL holding a space or a quote would
// reach ShellExecute as part of the URL. Other programs (browsers) parse
// their command line with CommandLineToArgvW rules, which exec's quoting
// follows.
func configure(cmd *exec.Cmd) {
	if strings.EqualFold(filepath.Base(cmd.Path), "rundll32.exe") && len(cmd.Args) == 3 {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			CmdLine: syscall.EscapeArg(cmd.Path) + " " + cmd.Args[1] + " " + cmd.Args[2],
		}
	}
}
