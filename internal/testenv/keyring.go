package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Keyring is a real Secret Service for one test: gnome-keyring-daemon on
// the session bus the test already has (run it under dbus-run-session),
// keeping its keyrings in a directory of the test's own, never the
// person's.
type Keyring struct {
	// Env points a process at the keyring's home (HOME and the XDG
	// directories); append it to the environment of every process that
	// must see the same keyring.
	Env []string

	mu  sync.Mutex // guards out: the daemon writes while the test reads
	out bytes.Buffer
}

// Output is what the daemon has printed so far, for failure messages.
func (k *Keyring) Output() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.String()
}

func (k *Keyring) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.Write(p)
}

// StartKeyring starts gnome-keyring-daemon, unlocked, with its keyrings
// under dir, and stops it when the test ends. The caller waits until the
// Secret Service answers (its first call may come before the daemon has
// claimed its bus name).
func StartKeyring(t testing.TB, dir string) *Keyring {
	t.Helper()
	NeedTools(t, "gnome-keyring-daemon")
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("StartKeyring: no session bus (run the test under dbus-run-session)")
	}
	home := filepath.Join(dir, "session-home")
	for _, d := range []string{"data", "runtime", "config"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	k := &Keyring{Env: []string{"HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "runtime"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config")}}
	daemon := exec.Command("gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground")
	daemon.Env = append(os.Environ(), k.Env...)
	// --unlock reads the login keyring's password on stdin and creates the
	// keyring, unlocked, when there is none.
	daemon.Stdin = strings.NewReader("relais-test-password")
	daemon.Stdout, daemon.Stderr = k, k
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
	})
	return k
}
