package backend

import (
	"os"
	"path/filepath"
	"testing"
)

// A managed configuration is there when its file is, even damaged.
func TestHasManagedConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, damaged := filepath.Join(dir, "good.toml"), filepath.Join(dir, "damaged.toml")
	if err := os.WriteFile(good, []byte("profile_url = \"https://relais.example.org/profile.toml\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, []byte("profile_url = [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want bool
	}{{good, true}, {damaged, true}, {filepath.Join(dir, "missing.toml"), false}} {
		env := Env{GOOS: "linux", Getenv: func(k string) string {
			if k == "RELAIS_CONFIG" {
				return tc.path
			}
			return ""
		}}
		if got := env.HasManagedConfig(); got != tc.want {
			t.Errorf("%s: %v, want %v", filepath.Base(tc.path), got, tc.want)
		}
		if got := env.ManagedPath(); got != tc.path {
			t.Errorf("path: %s, want %s", got, tc.path)
		}
	}
	if p := (Env{GOOS: "linux"}).ManagedPath(); p != "/etc/relais/relais.toml" {
		t.Errorf("no environment: %s", p)
	}
}
