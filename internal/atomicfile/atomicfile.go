// Package atomicfile replaces a file's contents all at once: a reader, or
// the file after a crash, has the old contents or the new ones, never a
// part of either. It is the one such writer of the module (the helper's
// high-water mark and state, the autostart entry, the demo's keys…).
//
// It never imports another package of the module.
package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile replaces path with data, mode perm (exactly: not subject to
// the umask; on Windows only its owner-write bit counts), as follows:
//
//  1. a temporary file is created in path's directory (so that the
//     rename below stays on one file system), named "."+base+".tmp-*",
//     readable and writable by its owner only (0600);
//  2. data is written to it, then its mode set to perm, so that others
//     never read it while it is incomplete, nor read a secret at all when
//     perm is 0600;
//  3. it is synced to the disk and closed;
//  4. it is renamed over path (on Windows, MoveFileEx replacing path);
//  5. path's directory is synced so that the rename itself survives a
//     crash, where the system allows it (not on Windows, nor on file
//     systems that cannot sync a directory: then that step is skipped).
//
// On any error in steps 1 to 4 the temporary file is removed and path is
// left as it was. path's directory must exist; a symbolic link at path is
// replaced by a regular file, not followed.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// write is WriteFile with fill writing the contents (tests make it fail).
func write(path string, perm os.FileMode, fill func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	// After the write: the contents are complete before anyone else may
	// read them. Chmod is not subject to the umask.
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: the new
// contents are in place whatever happens here, and a failure to sync a
// directory (Windows cannot open one for it; some file systems refuse
// it) must not make the caller believe the file was not replaced.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
