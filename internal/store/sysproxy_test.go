package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"relais/internal/sysproxy"
)

func TestSystemProxySaved(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relais.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.SavedSystemProxy(ctx); err != nil || got != nil {
		t.Fatalf("nothing saved yet: %v %v", got, err)
	}
	want := []sysproxy.Saved{
		{Desktop: "gnome", Values: map[string]string{"mode": "'manual'"}, Absent: []string{"autoconfig-url"}},
		{Desktop: "kde", Values: map[string]string{"ProxyType": "1"}},
	}
	if err := db.SaveSystemProxy(ctx, want); err != nil {
		t.Fatal(err)
	}
	// The store's own pragma is back after the durable write.
	var sync string
	if err := db.sql.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != "1" {
		t.Fatalf("synchronous = %s (%v) after the save, want 1 (NORMAL)", sync, err)
	}
	db.Close()

	// The values outlive the process.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.SavedSystemProxy(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("saved %+v (%v), want %+v", got, err, want)
	}
	if err := db.ClearSystemProxy(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SavedSystemProxy(ctx); err != nil || got != nil {
		t.Fatalf("after clear: %v %v", got, err)
	}
	// Clearing twice is not an error.
	if err := db.ClearSystemProxy(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSystemProxySavedDamaged(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.SetSetting(ctx, SettingSystemProxySaved, "{not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SavedSystemProxy(ctx); err == nil {
		t.Fatal("damaged saved values read without error")
	}
}
