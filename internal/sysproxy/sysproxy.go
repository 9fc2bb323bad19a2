// Package sysproxy points the user's own proxy setting — the one any user
// may change, no admin right needed — at Relais' PAC file while Mode
// urgence is on, and puts the user's previous values back when it stops,
// even after a crash: the previous values are stored (Store) before
// anything is changed, and the next start restores them (Manager.Recover).
//
// A Desktop is one place such a setting lives: GNOME's GSettings
// (org.gnome.system.proxy), KDE's kioslaverc, Windows' per-user WinINET
// settings (HKCU\Software\Microsoft\Windows\CurrentVersion\Internet
// Settings). A session may have several (a GNOME session with KDE programs
// installed): each is saved, set and restored on its own.
package sysproxy

import "context"

// Saved is one desktop's proxy setting as it was before Relais changed
// it, as stored. Values holds each key the desktop's Set changes, by the
// desktop's own name for it, in the desktop's own textual form (GVariant
// text for GNOME, the file's text for KDE, a typed registry value for
// Windows); a key in Absent did not exist and must be deleted again on
// restore, not set to "".
type Saved struct {
	Desktop string            `json:"desktop"` // a Desktop's Name
	Values  map[string]string `json:"values,omitempty"`
	Absent  []string          `json:"absent,omitempty"`
}

// Desktop is one place the user's proxy setting lives.
type Desktop interface {
	// Name is "gnome", "kde" or "windows".
	Name() string
	// Read returns the current values of every key SetPAC changes.
	Read(ctx context.Context) (Saved, error)
	// SetPAC points the setting at the PAC file at url ("automatic"
	// configuration), and tells running programs the setting changed
	// where the desktop has a way to.
	SetPAC(ctx context.Context, url string) error
	// Restore puts back exactly what Read returned (deleting the Absent
	// keys), and tells running programs.
	Restore(ctx context.Context, s Saved) error
}

// Store keeps the saved values across a crash (the backend's SQLite
// store). Save must be durable when it returns: nothing is changed before.
type Store interface {
	SaveSystemProxy(ctx context.Context, saved []Saved) error
	SavedSystemProxy(ctx context.Context) ([]Saved, error) // none: nil, nil
	ClearSystemProxy(ctx context.Context) error
}
