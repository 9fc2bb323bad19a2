package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A managed configuration saved by a Windows editor (Notepad writes a
// UTF-8 byte-order mark) is read like the same file without one.
func TestManagedBOM(t *testing.T) {
	bom := "\ufeff"
	body := "trusted_keys = [\"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\"]\n[locked]\ntunnel_mode = \"system\"\n"
	m, err := ParseManaged("relais.toml", []byte(bom+body))
	if err != nil {
		t.Fatalf("ParseManaged with a BOM: %v", err)
	}
	if len(m.TrustedKeys) != 1 || m.Locked.TunnelMode == nil || *m.Locked.TunnelMode != "system" {
		t.Fatalf("decoded %+v", m)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "relais.toml")
	if err := os.WriteFile(path, []byte(bom+body), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := LoadManaged(path); err != nil || len(m.TrustedKeys) != 1 {
		t.Fatalf("LoadManaged with a BOM: %+v, %v", m, err)
	}
	// The packages' commented template, saved with a BOM: still not managed.
	if err := os.WriteFile(path, []byte(bom+"# trusted_keys = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadManaged(path); !errors.Is(err, ErrNoManaged) {
		t.Fatalf("a commented template with a BOM: %v, want ErrNoManaged", err)
	}
}
