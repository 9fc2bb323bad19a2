//go:build !windows

package helper

import (
	"fmt"
	"os"
	"syscall"
)

// untrustedFile says why a file read as the helper's own state cannot be
// trusted ("" when it can): it must be a regular file owned by the
// helper's user (root) that no one else may write.
func untrustedFile(fi os.FileInfo) string {
	if !fi.Mode().IsRegular() {
		return "not a regular file"
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != uint32(os.Geteuid()) {
		return fmt.Sprintf("owned by uid %d, not by the helper", st.Uid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Sprintf("mode %v lets others write it", perm)
	}
	return ""
}
