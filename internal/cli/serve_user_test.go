package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relais/internal/server/db"
)

// relais serve user add/passwd/remove/list on the server's SQLite
// database: the password comes from stdin and is stored hashed only.
func TestServeUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(cfg, []byte("data_dir = \""+filepath.Join(dir, "data")+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (int, string, string) {
		stderr := &lockedBuffer{}
		env := serveEnv(dir, stderr)
		var out bytes.Buffer
		env.Stdout = &out
		if stdin != "" {
			env.Stdin = strings.NewReader(stdin)
		}
		code := Main(context.Background(), append([]string{"serve", "user"}, args...), env)
		return code, out.String(), stderr.String()
	}
	if code, _, errText := run("un mot de passe long\n", "add", "alice", "--role", "helpdesk", "--config", cfg); code != ExitOK || !strings.Contains(errText, "Compte alice créé") {
		t.Fatalf("add: %d %q", code, errText)
	}
	if code, _, errText := run("un mot de passe long\n", "add", "alice", "--role", "helpdesk", "--config", cfg); code != ExitUsage || !strings.Contains(errText, "existe déjà") {
		t.Fatalf("add twice: %d %q", code, errText)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"un mot de passe long\n", []string{"add", "bob", "--role", "admin", "--config", cfg}, "Indiquez le rôle"},
		{"", []string{"add", "bob", "--role", "helpdesk", "--config", cfg}, "entrée standard"},
		{"court\n", []string{"add", "bob", "--role", "helpdesk", "--config", cfg}, "Un mot de passe fait de 10"},
		{"un mot de passe long\n", []string{"add", "b b", "--role", "helpdesk", "--config", cfg}, "Un nom de compte"},
		{"un mot de passe long\n", []string{"passwd", "nobody", "--config", cfg}, "Aucun compte nommé nobody"},
		{"", []string{"frobnicate", "--config", cfg}, "Usage : relais serve user"},
	} {
		if code, _, errText := run(tc.stdin, tc.args...); code != ExitUsage || !strings.Contains(errText, tc.want) {
			t.Errorf("%v: %d %q, want %q", tc.args, code, errText, tc.want)
		}
	}
	if code, _, errText := run("un autre mot de passe\r\n", "passwd", "alice", "--config", cfg); code != ExitOK || !strings.Contains(errText, "changé") {
		t.Fatalf("passwd: %d %q", code, errText)
	}
	run("encore un mot de passe\n", "add", "carol", "--role", "ambassador", "--config", cfg)
	if code, out, _ := run("", "list", "--config", cfg); code != ExitOK || out != "alice\thelpdesk\ncarol\tambassador\n" {
		t.Fatalf("list: %d %q", code, out)
	}
	// Stored hashed: the file holds no password in clear, and the hash
	// checks the password given to passwd.
	raw, _ := os.ReadFile(filepath.Join(dir, "data", db.FileName))
	if bytes.Contains(raw, []byte("un autre mot de passe")) {
		t.Fatal("the password is in the database in clear")
	}
	d, err := db.Open(context.Background(), db.Options{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	_, hash, err := d.AccountForLogin(context.Background(), "alice")
	d.Close()
	if err != nil || !db.CheckPassword(hash, "un autre mot de passe") || db.CheckPassword(hash, "un mot de passe long") {
		t.Fatalf("alice's hash after passwd: %v", err)
	}
	if code, _, errText := run("", "remove", "alice", "--config", cfg); code != ExitOK || !strings.Contains(errText, "supprimé") {
		t.Fatalf("remove: %d %q", code, errText)
	}
	if code, out, _ := run("", "list", "--config", cfg); code != ExitOK || out != "carol\tambassador\n" {
		t.Fatalf("list after remove: %d %q", code, out)
	}
}
