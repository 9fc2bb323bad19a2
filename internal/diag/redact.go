package diag

import (
	"strings"

	"relais/internal/redact"
)

// Redact returns text without the secrets internal/redact knows how to
// find (keys, tokens, passwords, credentials in URLs and headers) nor any
// of secrets, for front ends that show the app's log outside a bundle.
func Redact(text string, secrets ...string) string {
	return redact.Text(text, secrets...)
}

// eachLine applies f to every line of s (without its newline); it
// allocates only when a line changes.
func eachLine(s string, f func(string) string) string {
	var b strings.Builder
	changed := false
	rest := s
	start := 0
	for len(rest) > 0 {
		i := strings.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i]
		}
		out := f(line)
		if out != line && !changed {
			changed = true
			b.Grow(len(s) + len(s)/8)
			b.WriteString(s[:start])
		}
		if changed {
			b.WriteString(out)
			if i >= 0 {
				b.WriteByte('\n')
			}
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		start += i + 1
	}
	if !changed {
		return s
	}
	return b.String()
}
