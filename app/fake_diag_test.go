package app

import (
	"errors"
	"path/filepath"
	"sync"

	"relais/internal/diag"
	"relais/internal/frontend"
)

// The diagnostics half of fakeBackend: a small simulation, good enough for
// the Diagnostic screen. Its state lives beside the fakeBackend (in
// fakeDiagOf) so that fake_test.go needs no field for it.

// fakeDiag is the diagnostics state of one fakeBackend.
type fakeDiag struct {
	mu sync.Mutex // guards every field below

	// Set by tests.
	canEncrypt, canUpload bool
	caseCode              string   // the case code of the next export
	dir                   string   // where exports go
	failures              []string // collectors that "did not finish"
	exportErr             error
	bundle                *diag.Bundle // what OpenBundle returns
	openErr               error
	// needIdentity: OpenBundle fails unless given this identity file.
	needIdentity string
	log          []diag.LogLine
	logErr       error
	uploadErr    error
	demoKey      string // DemoHelpdeskKey

	// Recorded.
	exports  []fakeExport
	opened   [][2]string // path, identity file
	logReads []int
	uploads  []string
}

// fakeExport is one ExportDiagnostics call.
type fakeExport struct {
	dir, level string
	encrypt    bool
}

var (
	fakeDiagMu sync.Mutex
	fakeDiagOf = map[*fakeBackend]*fakeDiag{}
)

// diagFake is f's diagnostics state.
func (f *fakeBackend) diagFake() *fakeDiag {
	fakeDiagMu.Lock()
	defer fakeDiagMu.Unlock()
	d, ok := fakeDiagOf[f]
	if !ok {
		d = &fakeDiag{caseCode: "RLS-7K3M-Q9TD", dir: filepath.Join("/home", "camille", "Téléchargements")}
		fakeDiagOf[f] = d
	}
	return d
}

func (f *fakeBackend) HelpdeskOptions() (bool, bool) {
	d := f.diagFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.canEncrypt, d.canUpload
}

func (f *fakeBackend) ExportDiagnostics(dir, level string, encrypt bool) (frontend.DiagExport, error) {
	d := f.diagFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.exports = append(d.exports, fakeExport{dir, level, encrypt})
	switch {
	case d.exportErr != nil:
		return frontend.DiagExport{}, d.exportErr
	case level != string(diag.LevelNone) && level != string(diag.LevelStandard) && level != string(diag.LevelStrict):
		return frontend.DiagExport{}, errors.New("Ce niveau d'anonymisation n'existe pas.")
	case encrypt && !d.canEncrypt:
		return frontend.DiagExport{}, errors.New("Le profil ne donne pas de clé du centre de services.")
	}
	if dir == "" {
		dir = d.dir
	}
	name := "relais-diag-" + d.caseCode + ".zip"
	size := int64(48 * 1024)
	if encrypt {
		name += ".age"
		size += 230
	}
	return frontend.DiagExport{Path: filepath.Join(dir, name), CaseCode: d.caseCode, Encrypted: encrypt, Size: size,
		Failures: append([]string(nil), d.failures...)}, nil
}

func (f *fakeBackend) OpenBundle(path, identityFile string) (*diag.Bundle, error) {
	d := f.diagFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opened = append(d.opened, [2]string{path, identityFile})
	switch {
	case d.openErr != nil:
		return nil, d.openErr
	case d.needIdentity != "" && identityFile != d.needIdentity:
		return nil, errors.New("Ce diagnostic est chiffré et la clé d'identité donnée ne l'ouvre pas.")
	case d.bundle == nil:
		return nil, errors.New("Ce fichier n'est pas un diagnostic de Relais.")
	}
	return d.bundle, nil
}

func (f *fakeBackend) RecentLog(n int) ([]diag.LogLine, error) {
	d := f.diagFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.logReads = append(d.logReads, n)
	if d.logErr != nil {
		return nil, d.logErr
	}
	lines := d.log
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return append([]diag.LogLine(nil), lines...), nil
}

func (f *fakeBackend) UploadBundle(path string) error {
	d := f.diagFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.uploadErr != nil {
		return d.uploadErr
	}
	if !d.canUpload {
		return errors.New("Le profil ne donne pas d'adresse d'envoi.")
	}
	d.uploads = append(d.uploads, path)
	return nil
}

func (f *fakeBackend) DemoHelpdeskKey() string {
	d := f.diagFake()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.demoKey
}
