//go:build !windows

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// home is e.Home or the user's home directory.
func (e Entry) home() (string, error) {
	if e.Home != "" {
		return e.Home, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return h, nil
}

// writeFileAtomic replaces path with data so that a reader (the session at
// login) sees the old file or the new one, never a part: a temporary file
// in the same directory is written, synced and renamed over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	// CreateTemp makes the file 0600; Chmod is not subject to the umask.
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// removeFile removes path; a file already absent is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
