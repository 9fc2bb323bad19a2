package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ExportDiagnosticsTo puts a bundle under its usual name into a folder,
// or at exactly the file name given; a folder that does not exist is
// said coded, and no bundle is left behind.
func TestExportDiagnosticsTo(t *testing.T) {
	t.Parallel()
	b := openDrills(t, nil)
	dir := t.TempDir()

	e, err := b.ExportDiagnosticsTo(dir, "standard", false)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(e.Path) != dir || !strings.Contains(filepath.Base(e.Path), e.CaseCode) || e.Size == 0 {
		t.Errorf("into a folder: %+v", e)
	}

	exact := filepath.Join(dir, "pour-le-support.zip")
	e, err = b.ExportDiagnosticsTo(exact, "strict", false)
	if err != nil {
		t.Fatal(err)
	}
	if fi, serr := os.Stat(exact); e.Path != exact || serr != nil || fi.Size() != e.Size || e.CaseCode == "" {
		t.Errorf("at an exact name: %+v (%v)", e, serr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the folder, want the 2 bundles", len(entries))
	}

	_, err = b.ExportDiagnosticsTo(filepath.Join(dir, "absent", "b.zip"), "standard", false)
	wantKey(t, "a folder that does not exist", err, "cli.diag.write_failed")

	_, err = b.ExportDiagnosticsTo(exact, "bavard", false)
	wantKey(t, "an unknown level", err, "cli.diag.bad_level")
}
