// Package launch opens a profile's emergency links the way the platform
// does (xdg-open, open, rundll32 url.dll) and, for a link that needs the
// tunnel while it runs in userspace mode, in a browser of the machine
// started with its own profile directory and the local proxy.
//
// Link URLs come from a profile, that is from outside: this package must
// never let a shell interpret one. Every program is started with exec and
// the URL as one argument, only after its scheme was checked against http,
// https and the profile's allowed_schemes. It must never import fyne.io.
package launch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"relais/internal/atomicfile"
	"relais/internal/profile"
)

// Method says how a link was opened.
type Method string

const (
	MethodDefault Method = "default" // the platform's handler for the URL (xdg-open, open, rundll32 url.dll)
	MethodBrowser Method = "browser" // a browser started with the local proxy
)

// earlyExitWait is how long Open waits for a browser it started to fail.
// A browser handing the URL to its running instance exits within it; a
// browser that stays open is left running, unwaited.
const earlyExitWait = time.Second

// handlerExitWait is how long Open waits for the platform's handler
// (xdg-open) to say whether it found an application for the link. It asks
// the desktop and tries its fallbacks before it gives up (exit 3 after a
// second or two is common); still running at the deadline, it has handed
// the link to an application, which is taken as opened.
const handlerExitWait = 3 * time.Second

// Proxy is the local proxy of a userspace tunnel, as tunnel.Status records
// it: "127.0.0.1:PORT" addresses, either one possibly empty.
type Proxy struct {
	SOCKS5 string `json:"socks5,omitempty"`
	HTTP   string `json:"http,omitempty"`
}

// Result is how a link was opened.
type Result struct {
	Method     Method   `json:"method"`
	Argv       []string `json:"argv"`                  // the program started and its arguments
	Browser    string   `json:"browser,omitempty"`     // browser: which one (chromium, google-chrome, firefox, …)
	ProfileDir string   `json:"profile_dir,omitempty"` // browser: its profile directory, under DataDir
	Proxy      string   `json:"proxy,omitempty"`       // browser: the proxy it uses (socks5://127.0.0.1:PORT)
	// ProxyNotApplied: a tunnel link whose scheme belongs to another
	// application (msteams:, ica:) went to the default handler, which does
	// not use the local proxy.
	ProxyNotApplied bool `json:"proxy_not_applied,omitempty"`
}

// Launcher opens links. The zero value works, except that opening through
// the proxy needs DataDir.
type Launcher struct {
	// Exec starts a program with its arguments, without a shell, and
	// returns an error if it could not start or failed at once. nil: the
	// real thing. Tests record what would run instead.
	Exec func(name string, args ...string) error
	// LookPath finds a program (a bare name in PATH, or an absolute path
	// that must exist). nil: exec.LookPath.
	LookPath func(string) (string, error)
	// Getenv reads the environment (install locations on Windows, the
	// home directory on macOS). nil: os.Getenv.
	Getenv func(string) string
	// DataDir is the user's Relais data directory; browsers started with
	// the proxy get their profile directories under it.
	DataDir string
}

func (l *Launcher) exec(name string, args ...string) error {
	return l.execWait(earlyExitWait, name, args...)
}

// execWait starts a program and waits up to wait for it to fail.
func (l *Launcher) execWait(wait time.Duration, name string, args ...string) error {
	if l.Exec != nil {
		return l.Exec(name, args...)
	}
	return start(wait, name, args...)
}

func (l *Launcher) lookPath(name string) (string, error) {
	if l.LookPath != nil {
		return l.LookPath(name)
	}
	return exec.LookPath(name)
}

func (l *Launcher) getenv(k string) string {
	if l.Getenv != nil {
		return l.Getenv(k)
	}
	return os.Getenv(k)
}

// Open opens link. allowedSchemes is the profile's allowed_schemes (http
// and https are always allowed). proxy is the local proxy of a userspace
// tunnel, nil when there is none to use (system mode: the routes carry the
// link); it is used only for a link with via = "tunnel".
//
// Errors are *Error: ErrSchemeNotAllowed, ErrInvalidURL, ErrBadProxy,
// ErrNoBrowser or ErrStart under errors.Is.
func (l *Launcher) Open(ctx context.Context, link profile.Link, allowedSchemes []string, proxy *Proxy) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	scheme, err := CheckURL(link.URL, allowedSchemes)
	if err != nil {
		return Result{}, err
	}
	if link.Via == "tunnel" && proxy != nil && (proxy.SOCKS5 != "" || proxy.HTTP != "") {
		if scheme == "http" || scheme == "https" {
			return l.openInBrowser(link.URL, *proxy)
		}
		res, err := l.openDefault(link.URL)
		res.ProxyNotApplied = err == nil
		return res, err
	}
	return l.openDefault(link.URL)
}

func (l *Launcher) openDefault(url string) (Result, error) {
	name, args := defaultHandler(url, l.getenv)
	res := Result{Method: MethodDefault, Argv: append([]string{name}, args...)}
	if err := l.execWait(handlerExitWait, name, args...); err != nil {
		return res, startError(url, name, err)
	}
	return res, nil
}

// startError is ErrStart for a program that did not start or exited with
// an error (its exit code kept: the handler found nothing to open the link).
func startError(url, name string, err error) *Error {
	e := &Error{Kind: ErrStart, URL: url, Program: name, Err: err}
	var xe *exec.ExitError
	if errors.As(err, &xe) && xe.ExitCode() > 0 {
		e.ExitCode = xe.ExitCode()
	} else if c, ok := exitCodeOf(err); ok {
		e.ExitCode = c
	}
	return e
}

// exitCodeOf reads "exit status N" from an error that is not an
// *exec.ExitError (the Exec hook of tests and front ends returns text).
func exitCodeOf(err error) (int, bool) {
	var c int
	if _, serr := fmt.Sscanf(err.Error(), "exit status %d", &c); serr == nil && c > 0 {
		return c, true
	}
	return 0, false
}

// CheckURL is the link policy, profile.CheckURL, with its refusal as an
// *Error: ErrInvalidURL (Detail says why) or ErrSchemeNotAllowed (Scheme).
func CheckURL(url string, allowedSchemes []string) (string, error) {
	scheme, err := profile.CheckURL(url, allowedSchemes)
	var le *profile.LinkError
	switch {
	case !errors.As(err, &le):
		return scheme, err
	case le.Scheme != "":
		return "", &Error{Kind: ErrSchemeNotAllowed, URL: url, Scheme: le.Scheme}
	}
	return "", &Error{Kind: ErrInvalidURL, URL: url, Detail: le.Detail}
}

// start runs a program without a shell, detached from the terminal, and
// reports a failure to start or an exit with an error within wait. A
// program still running then is left running: a browser outlives the
// command that opened it.
func start(wait time.Duration, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	// Standard streams go to the null device: a browser writing to a pipe
	// whose reader (relais open) has exited would die of SIGPIPE.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	configure(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		return nil
	}
}

// privateDir creates dir and its missing parents readable by the user only,
// and makes dir itself 0700 even if it existed: a browser profile holds
// cookies and history of the emergency environment.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// writePrivateFile replaces name atomically with data, readable by the user
// only.
func writePrivateFile(name string, data []byte) error {
	return atomicfile.WriteFile(name, data, 0o600)
}
