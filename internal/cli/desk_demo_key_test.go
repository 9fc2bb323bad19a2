package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relais/internal/backend"
)

// The demo keeps its service desk's key in the demo's directory, so the
// default encrypted demo bundle opens in the app with it; without it the
// app's sentence names the app's button, not a command-line flag.
func TestDeskDemoHelpdeskKey(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	d := openDesk(t, m, backend.Options{Lang: "fr", Demo: true})
	key := d.DemoHelpdeskKey()
	store, err := m.env().DemoStorePath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(store), "helpdesk-demo.agekey"); key != want {
		t.Fatalf("demo helpdesk key %q, want %q", key, want)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 0600", fi, err)
	}
	if enc, _ := d.HelpdeskOptions(); !enc {
		t.Fatal("the demo profile offers no encryption")
	}
	ex, err := d.ExportDiagnostics(t.TempDir(), "standard", true)
	if err != nil || !ex.Encrypted {
		t.Fatalf("export: %+v %v", ex, err)
	}
	_, err = d.OpenBundle(ex.Path, "")
	if err == nil || strings.Contains(appWords("fr", err), "--") || !strings.Contains(appWords("fr", err), "Clé d'identité age…") {
		t.Errorf("without the key: %v; want the app's button named, no flag", err)
	}
	b, err := d.OpenBundle(ex.Path, key)
	if err != nil || b.Manifest.CaseCode != ex.CaseCode {
		t.Fatalf("the demo's own key does not open its bundle: %v", err)
	}
}
