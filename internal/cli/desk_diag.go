package cli

import (
	"errors"

	"relais/internal/desk"
	"relais/internal/diag"
)

// The diagnostics half of the desk.

// HelpdeskOptions says whether the profile names a helpdesk recipient and
// an upload address.
func (d *Desk) HelpdeskOptions() (canEncrypt, canUpload bool) { return false, false }

// ExportDiagnostics writes a bundle.
func (d *Desk) ExportDiagnostics(dir, level string, encrypt bool) (desk.DiagExport, error) {
	return desk.DiagExport{}, errors.New("diag: not yet")
}

// OpenBundle reads a bundle.
func (d *Desk) OpenBundle(path, identityFile string) (*diag.Bundle, error) {
	return nil, errors.New("diag: not yet")
}

// RecentLog is the app's recent log.
func (d *Desk) RecentLog(n int) ([]diag.LogLine, error) { return nil, errors.New("diag: not yet") }

// UploadBundle queues a bundle for the helpdesk.
func (d *Desk) UploadBundle(path string) error { return errors.New("diag: not yet") }
