package helper

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"relais/internal/atomicfile"
	"relais/internal/profile"
)

// The helper refuses an old signed profile (rollback) itself: it keeps a
// high-water mark, the serial and SHA-256 of the last profile it brought
// up, in a small root-owned file of its state directory, and accepts a
// profile only as profile.Accept would against it. A member of the group
// who kept an old profile (wider allowed_ips, other DNS) cannot bring it
// up machine-wide once a newer one has been up on this machine.

// MarkFileName is the high-water mark's file in the helper's state
// directory.
const MarkFileName = "profile-mark.json"

// DefaultStateDir is where `relais helper` keeps its high-water mark:
// $STATE_DIRECTORY when systemd sets it (StateDirectory=relais), else
// /var/lib/relais on Linux; elsewhere none (the mark is kept in memory).
func DefaultStateDir(getenv func(string) string) string {
	if d := getenv("STATE_DIRECTORY"); d != "" {
		// systemd lists one directory per StateDirectory= entry, separated by colons.
		d, _, _ = strings.Cut(d, ":")
		return d
	}
	if runtime.GOOS == "linux" {
		return "/var/lib/relais"
	}
	return ""
}

// HighWater keeps the last profile the helper brought up.
type HighWater interface {
	// Load returns the mark; the zero Previous when there is none yet.
	// A mark that exists but cannot be trusted is an error.
	Load() (profile.Previous, error)
	// Store replaces the mark, atomically and durably.
	Store(profile.Previous) error
}

// MarkFile is the high-water mark in a file (mode 0600, written through a
// temporary file, fsync and rename).
type MarkFile struct{ Path string }

// markDoc is the mark file's content.
type markDoc struct {
	Schema     int       `json:"schema"`
	Serial     int64     `json:"serial"`
	SHA256     string    `json:"sha256"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// Load reads the mark. A missing file is no mark (a new machine, or an
// administrator's reset). A file that does not read as a mark (truncated,
// edited, wrong owner or writable by others) is CodeMarkUnreadable: the
// helper no longer knows which profiles are rollbacks, so it refuses
// every up until an administrator removes the file, rather than let an
// old profile through.
func (m MarkFile) Load() (profile.Previous, error) {
	f, err := os.Open(m.Path)
	if errors.Is(err, os.ErrNotExist) {
		return profile.Previous{}, nil
	}
	if err != nil {
		return profile.Previous{}, m.unreadable("%v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return profile.Previous{}, m.unreadable("%v", err)
	}
	if why := untrustedFile(fi); why != "" {
		return profile.Previous{}, m.unreadable("%s", why)
	}
	var doc markDoc
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return profile.Previous{}, m.unreadable("not a mark: %v", err)
	}
	sum, err := hex.DecodeString(doc.SHA256)
	switch {
	case doc.Schema != 1:
		return profile.Previous{}, m.unreadable("schema %d", doc.Schema)
	case doc.Serial <= 0:
		return profile.Previous{}, m.unreadable("serial %d", doc.Serial)
	case err != nil || len(sum) != 32:
		return profile.Previous{}, m.unreadable("sha256 %q is not a SHA-256", doc.SHA256)
	}
	return profile.Previous{Serial: doc.Serial, SHA256: strings.ToLower(doc.SHA256)}, nil
}

func (m MarkFile) unreadable(format string, args ...any) *Error {
	return errorf(CodeMarkUnreadable, "high-water mark %s: %s (an administrator must remove it, then restart the helper)", m.Path, fmt.Sprintf(format, args...))
}

// Store writes the mark.
func (m MarkFile) Store(p profile.Previous) error {
	b, err := json.MarshalIndent(markDoc{Schema: 1, Serial: p.Serial, SHA256: p.SHA256, AcceptedAt: time.Now().UTC().Truncate(time.Second)}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(m.Path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(m.Path, append(b, '\n'), 0o600)
}
