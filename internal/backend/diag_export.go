package backend

import (
	"os"
	"path/filepath"

	"relais/internal/frontend"
)

// ExportDiagnosticsTo writes a bundle where a person named it: out ""
// (the default folder) or an existing directory takes the bundle under
// its usual name (see ExportDiagnostics); any other out is exactly the
// bundle's file name (the case code is then in the bundle only).
func (d *Local) ExportDiagnosticsTo(out, level string, encrypt bool) (frontend.DiagExport, error) {
	if fi, err := os.Stat(out); out == "" || (err == nil && fi.IsDir()) {
		return d.ExportDiagnostics(out, level, encrypt)
	}
	e, err := d.ExportDiagnostics(filepath.Dir(out), level, encrypt)
	if err != nil {
		return e, err
	}
	if err := os.Rename(e.Path, out); err != nil {
		_ = os.Remove(e.Path)
		return frontend.DiagExport{}, frontend.Wrap(err, "cli.diag.write_failed", out, Coded(err))
	}
	e.Path = out
	return e, nil
}
