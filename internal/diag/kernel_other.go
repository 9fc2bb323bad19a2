//go:build !unix

package diag

// kernelRelease: the OS version (ver) says it all on Windows.
func kernelRelease() (string, error) { return "", errUnsupported }
