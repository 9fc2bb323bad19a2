package frontendtest

import (
	"net/url"
	"path/filepath"
	"sync"

	"relais/internal/diag/bundle"
	"relais/internal/frontend"
)

// Diag is the diagnostics half of the fake: a small simulation, good
// enough for a diagnostics screen; it writes and reads no file. A test sets
// or reads its fields before the front end runs, after it has done what
// was asked, or between Lock and Unlock.
type Diag struct {
	mu sync.Mutex // guards every field below

	// Set by tests.
	CanEncrypt, CanUpload bool           // HelpdeskOptions
	CaseCode              string         // the case code of the next export
	Dir                   string         // where exports go when no folder is given
	Failures              []string       // collectors that "did not finish"
	ExportErr             error          // ExportDiagnostics fails with it
	Bundle                *bundle.Bundle // what OpenBundle returns (nil: not a bundle)
	OpenErr               error          // OpenBundle fails with it
	NeedIdentity          string         // OpenBundle fails unless given this identity file
	Log                   []bundle.LogLine
	LogErr                error                  // RecentLog fails with it
	UploadErr             error                  // UploadBundle fails with it
	DemoKey               string                 // DemoHelpdeskKey
	ServerURL             string                 // CaseURL is ServerURL/dossiers/{code} when set
	Accounts              []frontend.DemoAccount // DemoAccounts

	// Recorded.
	Exports  []Export    // ExportDiagnostics calls
	Opened   [][2]string // OpenBundle calls: path, identity file
	LogReads []int       // RecentLog's n, call by call
	Uploads  []string    // UploadBundle paths queued
}

// Export is one ExportDiagnostics call.
type Export struct {
	Dir, Level string
	Encrypt    bool
}

func newDiag() *Diag {
	return &Diag{CaseCode: "RLS-7K3M-Q9TD", Dir: filepath.Join("/home", "camille", "Téléchargements")}
}

// Lock holds the diagnostics state for a test; Unlock lets go.
func (d *Diag) Lock() { d.mu.Lock() }

// Unlock lets go of the state Lock holds.
func (d *Diag) Unlock() { d.mu.Unlock() }

func (f *Backend) HelpdeskOptions() (bool, bool) {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.CanEncrypt, d.CanUpload
}

// ExportDiagnostics says where the bundle would be, its size made up.
func (f *Backend) ExportDiagnostics(dir, level string, encrypt bool) (frontend.DiagExport, error) {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Exports = append(d.Exports, Export{Dir: dir, Level: level, Encrypt: encrypt})
	switch {
	case d.ExportErr != nil:
		return frontend.DiagExport{}, d.ExportErr
	case level != string(bundle.LevelNone) && level != string(bundle.LevelStandard) && level != string(bundle.LevelStrict):
		return frontend.DiagExport{}, frontend.Errorf("cli.diag.bad_level", level)
	case encrypt && !d.CanEncrypt:
		return frontend.DiagExport{}, frontend.Errorf("cli.diag.no_recipient")
	}
	if dir == "" {
		dir = d.Dir
	}
	name := "relais-diag-" + d.CaseCode + ".zip"
	size := int64(48 * 1024)
	if encrypt {
		name += ".age"
		size += 230
	}
	return frontend.DiagExport{Path: filepath.Join(dir, name), CaseCode: d.CaseCode, Encrypted: encrypt, Size: size,
		Failures: append([]string(nil), d.Failures...)}, nil
}

func (f *Backend) OpenBundle(path, identityFile string) (*bundle.Bundle, error) {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Opened = append(d.Opened, [2]string{path, identityFile})
	switch {
	case d.OpenErr != nil:
		return nil, d.OpenErr
	case d.NeedIdentity != "" && identityFile != d.NeedIdentity:
		return nil, frontend.Errorf("cli.diag.wrong_identity", path)
	case d.Bundle == nil:
		return nil, frontend.Errorf("cli.diag.unreadable", path, "not a Relais diagnostics bundle")
	}
	return d.Bundle, nil
}

// RecentLog is the last n lines of Log.
func (f *Backend) RecentLog(n int) ([]bundle.LogLine, error) {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	d.LogReads = append(d.LogReads, n)
	if d.LogErr != nil {
		return nil, d.LogErr
	}
	lines := d.Log
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return append([]bundle.LogLine(nil), lines...), nil
}

func (f *Backend) UploadBundle(path string) error {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.UploadErr != nil {
		return d.UploadErr
	}
	if !d.CanUpload {
		return frontend.Errorf("cli.diag.no_upload")
	}
	d.Uploads = append(d.Uploads, path)
	return nil
}

func (f *Backend) DemoHelpdeskKey() string {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.DemoKey
}

func (f *Backend) CaseURL(caseCode string) string {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ServerURL == "" {
		return ""
	}
	return d.ServerURL + "/dossiers/" + url.PathEscape(caseCode)
}

func (f *Backend) DemoAccounts() []frontend.DemoAccount {
	d := f.Diag
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]frontend.DemoAccount(nil), d.Accounts...)
}
