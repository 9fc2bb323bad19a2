package backend

import (
	"context"
	"net/http"
	"os"
	"runtime"
	"time"

	"relais/internal/checks"
	"relais/internal/config"
	"relais/internal/frontend"
	"relais/internal/launch"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/secrets"
	"relais/internal/sysproxy"
	"relais/internal/tunnel"
)

// Env is the outside world the backend reads: the process environment,
// the clock, the network client, the programs that open links. Front ends
// pass the real one; tests their own.
type Env struct {
	Getenv     func(string) string
	GOOS       string
	Home       string
	Now        func() time.Time
	HTTPClient *http.Client // nil: the default for each use
	// StartProgram and LookPath start and find the programs that open
	// links (a browser, xdg-open); nil: the real ones.
	StartProgram func(name string, args ...string) error
	LookPath     func(file string) (string, error)

	// Notify hears what a person should be told that is not an error: a
	// damaged store moved aside, a newer bootstrap profile adopted or
	// refused. The front end words it (the terminal on stderr); nil: no
	// one hears.
	Notify func(*frontend.Error)

	// Seams are what tests replace; the zero value is the real thing.
	Seams Seams
}

// Seams are the dependencies a test replaces, one field each (never a
// package variable), so that tests with their own Env run in parallel.
type Seams struct {
	// TunnelConfig builds the device's tunnel configuration; nil: from
	// the OS keyring and the store (the device identity).
	TunnelConfig func(ctx context.Context, m *Machine, p *profile.Profile) (tunnel.Config, error)
	// Keyring is the keyring of the device's keys; nil: the OS keyring.
	Keyring func() secrets.Keyring
	// Checks is the template of the check runner; nil: the real probes.
	Checks func() *checks.Runner
	// StartTunnel brings the tunnel up from its configuration; nil: the
	// mode's (userspace, or the system helper). Unit tests pass an
	// in-memory tunnel (tunnel/tunneltest).
	StartTunnel func(ctx context.Context, cfg tunnel.Config) (tunnel.Tunnel, error)
	// LimitMemory bounds the heap of a process holding a userspace
	// tunnel; nil: tunnel.LimitMemory. Tests, which share one process,
	// pass a no-op.
	LimitMemory func(int64)
	// DemoSlowDelay is the slow demo app's delay; 0: the office's.
	DemoSlowDelay time.Duration
	// DemoStarted sees each demo office started.
	DemoStarted func(*office.Office)
	// ReuseWait bounds how long a check waits for the tunnel another
	// process holds; 0: DefaultReuseWait.
	ReuseWait time.Duration
	// NoticesInterval is how often notices are fetched while Mode urgence
	// runs; 0: DefaultNoticesInterval.
	NoticesInterval time.Duration
	// NewLauncher makes the launcher of links; nil: the real one.
	NewLauncher func(dataDir string) *launch.Launcher
	// SystemProxy finds the person's proxy settings (sysproxy.Desktop);
	// nil: sysproxy.Detect on the environment.
	SystemProxy func() []sysproxy.Desktop
}

// ConfigEnv is e as the configuration package reads it.
func (e Env) ConfigEnv() config.Environment {
	return config.Environment{Getenv: e.Getenv, GOOS: e.GOOS, Home: e.Home}
}

// filled is e with its defaults: a clock, an empty environment.
func (e Env) filled() Env {
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	return e
}

func (e Env) notify(key string, args ...any) {
	if e.Notify != nil {
		e.Notify(frontend.Errorf(key, args...))
	}
}

func (e Env) keyring() secrets.Keyring {
	if e.Seams.Keyring != nil {
		return e.Seams.Keyring()
	}
	return secrets.OSKeyring()
}

// Vault is the device's keys, in the keyring of e.
func (e Env) Vault() secrets.Vault { return secrets.Vault{Keyring: e.keyring()} }

// CheckRunner is the check runner of e: on Linux the captive built-in
// also reads NetworkManager's verdict.
func (e Env) CheckRunner() *checks.Runner {
	if e.Seams.Checks != nil {
		return e.Seams.Checks()
	}
	r := &checks.Runner{}
	if e.GOOS == "linux" {
		r.Connectivity = checks.NMConnectivity
	}
	return r
}

// LimitMemory bounds the heap of a process holding a userspace tunnel.
func (e Env) LimitMemory(n int64) {
	if e.Seams.LimitMemory != nil {
		e.Seams.LimitMemory(n)
		return
	}
	tunnel.LimitMemory(n)
}

// OSEnv is the real process environment.
func OSEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{Getenv: os.Getenv, GOOS: runtime.GOOS, Home: home, Now: time.Now}
}
