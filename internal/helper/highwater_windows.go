//go:build windows

package helper

import "os"

// untrustedFile: on Windows the state directory's ACL (ProgramData,
// written by the service) is the protection; only the file's kind is
// checked.
func untrustedFile(fi os.FileInfo) string {
	if !fi.Mode().IsRegular() {
		return "not a regular file"
	}
	return ""
}
