package app

import (
	"errors"

	"relais/internal/desk"
	"relais/internal/diag"
)

// The diagnostics half of fakeBackend.

func (f *fakeBackend) HelpdeskOptions() (bool, bool) { return false, false }
func (f *fakeBackend) ExportDiagnostics(dir, level string, encrypt bool) (desk.DiagExport, error) {
	return desk.DiagExport{}, errors.New("not in this fake")
}
func (f *fakeBackend) OpenBundle(path, identityFile string) (*diag.Bundle, error) {
	return nil, errors.New("not in this fake")
}
func (f *fakeBackend) RecentLog(n int) ([]diag.LogLine, error) { return nil, nil }
func (f *fakeBackend) UploadBundle(path string) error          { return errors.New("not in this fake") }
