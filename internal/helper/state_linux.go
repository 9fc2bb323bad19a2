package helper

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"relais/internal/atomicfile"
)

// state is what the helper changed on the system, written before each
// change so that a helper restarted after a crash (or a SIGKILL) can undo
// it. It never holds a secret.
type state struct {
	Interface  string    `json:"interface"`
	UAPISocket string    `json:"uapi_socket,omitempty"`
	Routes     []string  `json:"routes,omitempty"`
	DNS        *dnsState `json:"dns,omitempty"`
}

// dnsState is how DNS was changed, and how to put it back.
type dnsState struct {
	Mode string `json:"mode"` // "resolved" or "resolv.conf"
	// resolv.conf mode: the file, what it held, and the symlink it was
	// (empty: a plain file, restored in place).
	Path    string `json:"path,omitempty"`
	Backup  []byte `json:"backup,omitempty"`
	Symlink string `json:"symlink,omitempty"`
	Absent  bool   `json:"absent,omitempty"` // there was no resolv.conf
	// Written is what the helper wrote: restore only if the file still
	// holds it, so that a change made by someone else since is kept.
	Written []byte `json:"written,omitempty"`
}

func readState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// writeState replaces the state file atomically and durably.
func writeState(path string, s *state) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o600)
}

func removeState(path string) error {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
