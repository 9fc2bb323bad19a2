package autostart

// RunValue renders the data of e's value under the Windows Run key: the
// path in double quotes, so that a path with spaces ("C:\Program Files\…")
// is one program and not a program and its arguments. Windows paths cannot
// contain '"', which Enable refuses, so nothing inside needs escaping.
func RunValue(e Entry) string {
	return `"` + e.Exec + `"`
}

// startupApprovedDisabled reports whether data, a value under Explorer's
// StartupApproved\Run key, says the user turned the entry off in Task
// Manager or Settings: the low bit of its first byte is set (02 or 06 is
// on, 03 or 07 off). Windows then ignores the Run value, which it keeps.
func startupApprovedDisabled(data []byte) bool {
	return len(data) > 0 && data[0]&1 == 1
}
