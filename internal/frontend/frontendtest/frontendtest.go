// Package frontendtest is a fake of the one backend, a frontend.Backend
// kept in memory, for the tests of front ends (the desktop app's screen
// tests). A test scripts what the fake answers (its state, the errors its
// methods return) through exported fields, and reads what the front end
// asked through the calls it records. Its drills half walks runs in
// memory and its diagnostics half pretends to write and open bundles; the
// errors it returns are coded (frontend.Error) with the backend's keys, as
// the real backend's are, for the front end to word.
//
// It does no I/O and starts nothing: no engine, no tunnel, no store, no
// keyring. It must never import fyne.io, the GUI, the backend or the
// command line.
package frontendtest

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"time"

	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/status"
)

// The public keys of the fake's device identities.
const (
	// DeviceKey is the key of the identity New gives.
	DeviceKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
	// GeneratedKey is the key GenerateKey makes.
	GeneratedKey = "bmV3S2V5bmV3S2V5bmV3S2V5bmV3S2V5bmV3S2V5MDA="
	// ImportedKey is the key of every .conf file ImportConf imports.
	ImportedKey = "aW1wb3J0ZWRpbXBvcnRlZGltcG9ydGVkaW1wb3J0ZWQ="
)

// Backend is a fake frontend.Backend. Its methods are safe for concurrent
// use; a test sets or reads its fields before the front end runs, after
// it has done what was asked, or between Lock and Unlock.
type Backend struct {
	mu sync.Mutex // guards every field below (Drills and Diag have their own)

	// Now is the fake's clock: the time of the events Emit publishes and
	// of the drill windows StartDrill checks.
	Now time.Time

	// What the methods return, set by tests.
	IsActive     bool                  // Active; Start sets it, Stop clears it
	Snap         status.Snapshot       // Snapshot
	Prof         frontend.ProfileState // Profile
	Notes        frontend.NoticesState // Notices
	Assets       map[string][]byte     // Asset, by id
	UserSettings frontend.Settings     // Settings; SaveSettings replaces it
	Locked       frontend.Locks        // Locks; SaveSettings refuses a locked change
	Ident        frontend.Identity     // Identity; GenerateKey, ImportConf and DeleteKey replace it
	IsDemo       bool                  // Demo
	ProxyProblem string                // SystemProxyProblem
	StartErr     error                 // Start fails with it (and stays inactive)
	OpenErr      error                 // OpenLink fails with it
	ImportErr    error                 // ImportConf fails with it
	EnrolErr     error                 // Enrol fails with it (and changes nothing)
	EnrolGate    chan struct{}         // if set, Enrol waits for it (a slow server)

	// What the front end asked, recorded.
	Starts   []string            // the mode of each Start
	Stops    int                 // Stop calls
	Rechecks int                 // Recheck calls
	Opened   []string            // OpenLink ids
	Saved    []frontend.Settings // SaveSettings calls that succeeded
	Imported []string            // ImportConf paths
	KeysMade int                 // GenerateKey calls that made a key
	Replaced bool                // an ImportConf replaced another key
	Deleted  int                 // DeleteKey calls
	Enrols   []string            // the code of each Enrol call
	Lang     string              // the last SetLanguage

	// Drills is the drills half; Diag the diagnostics half.
	Drills *Drills
	Diag   *Diag

	subs map[int]func(status.Event)
	next int
}

var _ frontend.Backend = (*Backend)(nil)

// New is a fake serving profile p (nil: none cached), last fetched three
// minutes before now, idle, with the default settings and a ready device
// identity (DeviceKey); now is its clock.
func New(p *profile.Profile, now time.Time) *Backend {
	f := &Backend{
		Now:          now,
		Snap:         status.Snapshot{Phase: status.PhaseIdle},
		Assets:       map[string][]byte{},
		UserSettings: frontend.DefaultSettings(),
		Ident:        frontend.Identity{PublicKey: DeviceKey, Source: "generated", Setup: frontend.SetupReady},
		Drills:       newDrills(now),
		Diag:         newDiag(),
		subs:         map[int]func(status.Event){},
	}
	if p != nil {
		f.Prof = frontend.ProfileState{Profile: p, Serial: p.Serial, Signature: "valid", FetchedAt: now.Add(-3 * time.Minute)}
	}
	return f
}

// Notices returns Notes.
func (f *Backend) Notices() frontend.NoticesState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Notes
}

// Lock holds the fake's state for a test that reads or changes it while
// the front end may run; Unlock lets go.
func (f *Backend) Lock() { f.mu.Lock() }

// Unlock lets go of the state Lock holds.
func (f *Backend) Unlock() { f.mu.Unlock() }

// Emit sets the snapshot to s and publishes an event of kind with it, at
// Now, to every subscriber.
func (f *Backend) Emit(kind string, s status.Snapshot) {
	f.mu.Lock()
	f.Snap = s
	at := f.Now
	subs := make([]func(status.Event), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(status.Event{Kind: kind, At: at, Snapshot: s})
	}
}

func (f *Backend) Start(mode string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Starts = append(f.Starts, mode)
	if f.StartErr != nil {
		return f.StartErr
	}
	f.IsActive = true
	return nil
}

func (f *Backend) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Stops++
	f.IsActive = false
}

func (f *Backend) Active() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.IsActive
}

func (f *Backend) Recheck() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Rechecks++
}

func (f *Backend) Snapshot() status.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Snap
}

func (f *Backend) Subscribe(fn func(status.Event)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *Backend) Profile() frontend.ProfileState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Prof
}

func (f *Backend) Asset(id string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.Assets[id]
	return b, ok
}

func (f *Backend) OpenLink(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Opened = append(f.Opened, id)
	return f.OpenErr
}

func (f *Backend) Settings() frontend.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.UserSettings
}

func (f *Backend) SaveSettings(s frontend.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Locked.TunnelMode && s.TunnelMode != f.UserSettings.TunnelMode || f.Locked.Autostart && s.Autostart != f.UserSettings.Autostart ||
		f.Locked.SystemProxy && s.SystemProxy != f.UserSettings.SystemProxy {
		return errors.New("locked")
	}
	f.Saved = append(f.Saved, s)
	f.UserSettings = s
	return nil
}

func (f *Backend) Locks() frontend.Locks {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Locked
}

func (f *Backend) Identity() frontend.Identity {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Ident
}

func (f *Backend) GenerateKey(replace bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Ident.PublicKey != "" && !replace {
		return &frontend.IdentityError{Code: frontend.IdentityErrExists, PublicKey: f.Ident.PublicKey}
	}
	f.KeysMade++
	f.Ident = frontend.Identity{PublicKey: GeneratedKey, Source: "generated", Setup: frontend.SetupNoAddress}
	return nil
}

func (f *Backend) ImportConf(path string, replace bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Imported = append(f.Imported, path)
	if f.ImportErr != nil {
		return f.ImportErr
	}
	if f.Ident.PublicKey != "" && f.Ident.PublicKey != ImportedKey && !replace {
		return &frontend.IdentityError{Code: frontend.IdentityErrExists, File: filepath.Base(path), PublicKey: f.Ident.PublicKey}
	}
	f.Replaced = f.Replaced || replace
	f.Ident = frontend.Identity{PublicKey: ImportedKey, Source: filepath.Base(path), Addresses: []string{"10.77.0.2/32"}, Setup: frontend.SetupReady}
	return nil
}

func (f *Backend) DeleteKey() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Deleted++
	f.Ident = frontend.Identity{Setup: frontend.SetupNone}
	return nil
}

func (f *Backend) SetLanguage(l string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Lang = l
}

func (f *Backend) Demo() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.IsDemo
}

// SystemProxyProblem returns ProxyProblem.
func (f *Backend) SystemProxyProblem() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ProxyProblem
}

// Close does nothing: the fake holds nothing to release.
func (f *Backend) Close() {}

// CopyRun is a deep copy of r: what the fake hands out, so that a front
// end never shares its records.
func CopyRun(r *drills.Run) *drills.Run {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	var c drills.Run
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// EnrolledKey is the public key Enrol gives.
const EnrolledKey = "ENROLLED+KEY+PUBLIC+HALF+xxxxxxxxxxxxxxxxxx="

// Enrol records the code; unless EnrolErr, the identity becomes an
// enrolled one (10.20.128.7/32, with Ident.EnrolHost).
func (f *Backend) Enrol(code string) (frontend.EnrolResult, error) {
	f.mu.Lock()
	f.Enrols = append(f.Enrols, code)
	gate := f.EnrolGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.EnrolErr != nil {
		return frontend.EnrolResult{}, f.EnrolErr
	}
	host := f.Ident.EnrolHost
	f.Ident = frontend.Identity{PublicKey: EnrolledKey, Source: frontend.SourceEnrolled, Addresses: []string{"10.20.128.7/32"},
		Setup: frontend.SetupReady, EnrolHost: host, CreatedAt: f.Now}
	return frontend.EnrolResult{Host: host, Addresses: []string{"10.20.128.7/32"}}, nil
}

// EnrolmentStatus is active for an enrolled identity, else unknown.
func (f *Backend) EnrolmentStatus() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Ident.Source == frontend.SourceEnrolled {
		return frontend.EnrolActive, nil
	}
	return frontend.EnrolUnknown, nil
}
