// Package instance keeps one of a thing per user: one desktop app (a second
// launch hands over to the first, which comes forward), one tunnel per
// device key (an exclusive lock beside the store). It holds no Fyne: the
// app gives it a callback.
package instance

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrHeld is returned by TryLock when another process holds the lock.
var ErrHeld = errors.New("instance: held by another process")

// HeldError is ErrHeld with the holder's process id, as it wrote it in
// the lock file (0: not written yet).
type HeldError struct {
	Path string
	PID  int
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("instance: %s is held by process %d", e.Path, e.PID)
}

func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Lock is an exclusive lock on a file, held until Release or until the
// process ends, however it ends (the system drops it with the process: a
// holder killed with SIGKILL never leaves a stale lock).
type Lock struct {
	f    *os.File
	path string
}

// TryLock takes the exclusive lock on path (created 0600 if missing)
// without waiting, and writes this process's id in it. When another
// process (or another Lock of this one) holds it, the error is a
// *HeldError (errors.Is ErrHeld) naming the holder.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	held, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("instance: lock %s: %w", path, err)
	}
	if held {
		f.Close()
		return nil, &HeldError{Path: path, PID: Holder(path)}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Release lets the lock go. The file stays (removing it would race with a
// process that just opened it); its content is cleared.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Holder is the process id written in the lock file at path: the holder's
// while the lock is held; 0 when the file is empty, missing or unreadable.
func Holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
