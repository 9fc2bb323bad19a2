package autostart

import "strings"

// DesktopFile renders the XDG autostart entry for e, following the Desktop
// Entry Specification. The X-Relais-Autostart key marks the entry as
// Relais's own; Exec has no argument (see the package comment).
func DesktopFile(e Entry) string {
	var b strings.Builder
	kv := func(key, value string) {
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	b.WriteString("[Desktop Entry]\n")
	kv("Type", "Application")
	kv("Version", "1.4")
	kv("Name", escapeString(e.Name))
	kv("Name[fr]", escapeString(e.Name))
	kv("Comment", escapeString(commentEN))
	kv("Comment[fr]", escapeString(commentFR))
	kv("Exec", escapeString(execArg(e.Exec)))
	// TryExec is a plain string, not a command line: the session skips the
	// entry instead of failing at login once the binary is gone.
	kv("TryExec", escapeString(e.Exec))
	kv("Icon", escapeString(e.AppID))
	kv("Terminal", "false")
	kv("X-GNOME-Autostart-enabled", "true")
	kv("X-Relais-Autostart", "true")
	return b.String()
}

// execArg quotes one argument of an Exec key by the specification's rules,
// before the string escaping of escapeString: an argument with a reserved
// character is enclosed in double quotes, inside which '"', '`', '$' and
// '\' are preceded by a backslash; a literal '%' is written "%%" so that it
// is not taken for a field code. Anything outside a small safe set is
// quoted, which the specification allows ("arguments may be quoted in
// whole") and which covers every reserved character.
func execArg(s string) string {
	quote := s == ""
	for _, r := range s {
		if !execSafe(r) {
			quote = true
			break
		}
	}
	var b strings.Builder
	if quote {
		b.WriteByte('"')
	}
	for _, r := range s {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
		case '%':
			b.WriteByte('%')
		}
		b.WriteRune(r)
	}
	if quote {
		b.WriteByte('"')
	}
	return b.String()
}

// execSafe reports whether r may appear in an unquoted Exec argument: none
// of the reserved characters (space, tab, newline, '"', '\”, '\\', '>',
// '<', '~', '|', '&', ';', '$', '*', '?', '#', '`') nor anything else a
// launcher's shell-like parser might treat specially.
func execSafe(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("/._-+,:@%=", r)
}

// escapeString applies the escapes of the specification's string type: a
// backslash, newline, tab and carriage return become \\, \n, \t and \r, and
// a leading space \s so that parsers do not trim it.
func escapeString(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case ' ':
			if i == 0 {
				b.WriteString(`\s`)
			} else {
				b.WriteByte(' ')
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
