package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting(ctx, "tunnel_mode"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a setting never set: %v, want ErrNotFound", err)
	}
	if err := db.SetSetting(ctx, "tunnel_mode", "userspace"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "tunnel_mode", "system"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSettings(ctx, map[string]string{"language": "en", "autostart": "true"}); err != nil {
		t.Fatal(err)
	}
	// A bad key refuses the whole batch: the others keep their values.
	if err := db.SetSettings(ctx, map[string]string{"language": "fr", "": "x"}); err == nil {
		t.Fatal("an empty key was accepted")
	}
	db.Close()

	// The values outlive the process.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for k, want := range map[string]string{"tunnel_mode": "system", "language": "en", "autostart": "true"} {
		if got, err := db.Setting(ctx, k); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", k, got, err, want)
		}
	}
	if n := rawCount(t, db, "settings"); n != 3 {
		t.Errorf("%d settings rows, want 3 (one per key)", n)
	}
}
