package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/profile/profiletest"
	"relais/internal/secrets"
	"relais/internal/store"
	"relais/internal/testenv"
	"relais/internal/tunnel"
	"relais/internal/wgconf"
)

// A session bus without service activation: a client that calls the
// Secret Service before our daemon is ready gets an error instead of a
// second gnome-keyring-daemon started behind our back, locked.
const testBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=%DIR%</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// childResult is one `relais` run in its own process.
type childResult struct {
	args           string
	code           int
	stdout, stderr string
}

// child runs `relais ARGS` as a separate process (the test binary through
// TestMain), with the machine's variables and the current session bus.
func (m *machineT) child(ctx context.Context, extraEnv []string, args ...string) childResult {
	m.t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RELAIS_CLI_CHILD=1", "RELAIS_CLI_ARGS="+strings.Join(args, " "),
		"RELAIS_HOME="+m.vars["RELAIS_HOME"], "RELAIS_CONFIG="+m.vars["RELAIS_CONFIG"], "LANG="+m.vars["LANG"])
	cmd.Env = append(cmd.Env, extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := childResult{args: strings.Join(args, " "), stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		m.t.Fatalf("relais %s: %v", res.args, err)
	}
	return res
}

// The device identity against a real Secret Service: gnome-keyring-daemon
// on a private D-Bus session (dbus-run-session). Each command is its own
// process, so what `key show` reads back survived a restart. The private
// key ends up in the keyring and nowhere under RELAIS_HOME, in no output
// but the export that asked for it, and not in the event log.
func TestKeyringEndToEnd(t *testing.T) {
	t.Parallel()
	if os.Getenv("RELAIS_KEYRING_SESSION") != "" {
		keyringSession(t, os.Getenv("RELAIS_KEYRING_SESSION"))
		return
	}
	testenv.NeedTools(t, "dbus-run-session", "gnome-keyring-daemon")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(testBusConfig, "%DIR%", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--config-file="+cfg, "--",
		os.Args[0], "-test.run=^TestKeyringEndToEnd$", "-test.v", "-test.count=1")
	cmd.Env = append(withoutEnv(os.Environ(), "DBUS_SESSION_BUS_ADDRESS"), "RELAIS_KEYRING_SESSION="+dir)
	out, err := cmd.CombinedOutput()
	t.Logf("inside dbus-run-session:\n%s", out)
	if err != nil {
		t.Fatalf("the test inside dbus-run-session failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestKeyringEndToEnd") {
		t.Fatal("the test inside dbus-run-session did not pass (skipped?)")
	}
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// keyringSession is the test proper, run inside dbus-run-session.
func keyringSession(t *testing.T, dir string) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus inside dbus-run-session")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// gnome-keyring-daemon keeps its keyrings under XDG_DATA_HOME: a
	// directory of the test's own, outside RELAIS_HOME, never the user's.
	svc := testenv.StartKeyring(t, dir)
	kenv := svc.Env

	vault := secrets.Vault{Keyring: secrets.Timeout(secrets.OSKeyring(), 10*time.Second)}
	for {
		_, err := vault.PrivateKey()
		if errors.Is(err, secrets.ErrNoKey) {
			break // the Secret Service answers, and holds no key yet
		}
		if err == nil {
			t.Fatal("a fresh keyring already holds a Relais key")
		}
		if ctx.Err() != nil {
			t.Fatalf("the Secret Service never answered: %v\n%s", err, svc.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}

	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	m := newMachine(t)
	m.manage(o.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("profile sync: %+v", r)
	}

	// Holding the database open keeps its -wal and -shm files from being
	// folded back and removed when each child exits: the scan below reads
	// them as the children left them.
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var runs []childResult
	step := func(want int, args ...string) childResult {
		t.Helper()
		r := m.child(ctx, kenv, args...)
		runs = append(runs, r)
		if r.code != want {
			t.Fatalf("relais %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.args, r.code, want, r.stdout, r.stderr)
		}
		return r
	}

	gen := step(ExitOK, "key", "generate", "--address", "10.20.9.7/32")
	pub := strings.TrimSpace(gen.stdout)
	priv, err := vault.PrivateKey()
	if err != nil {
		t.Fatalf("the Secret Service does not hold the key after generate: %v", err)
	}
	if backend.PublicKey(priv) != pub {
		t.Fatalf("the keyring's key is not the one of the printed public key %s", pub)
	}

	show := step(ExitOK, "key", "show", "--json")
	if !strings.Contains(show.stdout, `"public_key": "`+pub+`"`) || !strings.Contains(show.stdout, `"keyring": "present"`) {
		t.Fatalf("key show after a restart:\n%s", show.stdout)
	}

	export := step(ExitOK, "key", "export-conf", "--include-private-key")
	f, err := wgconf.Parse("export.conf", []byte(export.stdout))
	if err != nil || f.Interface.PrivateKey == nil {
		t.Fatalf("export-conf: %v\n%s", err, export.stdout)
	}
	if got := tunnel.Key(*f.Interface.PrivateKey); got != priv || f.Interface.PrivateKey.PublicKey().String() != pub {
		t.Fatal("export-conf does not give the keyring's key pair")
	}

	step(ExitOK, "key", "delete")
	if _, err := vault.PrivateKey(); !errors.Is(err, secrets.ErrNoKey) {
		t.Fatalf("after delete the Secret Service says: %v", err)
	}
	gone := step(ExitUnhealthy, "key", "show", "--json")
	if !strings.Contains(gone.stdout, `"keyring": "absent"`) || !strings.Contains(gone.stdout, `"identity": null`) {
		t.Fatalf("key show after delete:\n%s", gone.stdout)
	}

	// Where the private key may be, and where it must never be.
	secret := priv.String()
	for _, r := range runs {
		for _, stream := range []struct{ name, text string }{{"stdout", r.stdout}, {"stderr", r.stderr}} {
			for _, line := range strings.Split(stream.text, "\n") {
				if !strings.Contains(line, secret) && !strings.Contains(line, string(priv[:])) {
					continue
				}
				if r.args == "key export-conf --include-private-key" && stream.name == "stdout" && line == "PrivateKey = "+secret {
					continue
				}
				t.Errorf("relais %s printed the private key on %s: %q", r.args, stream.name, line)
			}
		}
	}
	assertNotUnder(t, m.vars["RELAIS_HOME"], secret)
	assertNotUnder(t, m.vars["RELAIS_HOME"], string(priv[:]))
	for _, want := range []string{"relais.db", "relais.db-wal", "relais.db-shm"} {
		if _, err := os.Stat(filepath.Join(m.vars["RELAIS_HOME"], want)); err != nil {
			t.Errorf("the scan did not cover %s: %v", want, err)
		}
	}
	events, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	logged := false
	for _, e := range events {
		if strings.Contains(e.Message, secret) {
			t.Errorf("the event log holds the private key: %s", e.Message)
		}
		logged = logged || strings.Contains(e.Message, pub)
	}
	if !logged {
		t.Error("the event log does not record the identity (by its public key)")
	}
}

// With no Secret Service on the session bus, `key generate` says what to
// do in the person's language, exits 2 and writes nothing at all.
func TestKeyGenerateWithoutSecretService(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nowhere := []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-bus-here")}
	r := m.child(ctx, nowhere, "key", "generate")
	if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "Le trousseau du système n'est pas disponible") ||
		!strings.Contains(r.stderr, "GNOME Keyring ou KWallet") {
		t.Fatalf("%+v", r)
	}
	m.vars["LANG"] = "en_GB.UTF-8"
	r = m.child(ctx, nowhere, "key", "generate")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "The system keyring is not available") {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(m.vars["RELAIS_HOME"]); !os.IsNotExist(err) {
		t.Fatalf("RELAIS_HOME was written: %v", err)
	}
}
