package bundle

import (
	"strings"
	"unicode/utf8"
)

// TerminalText is s safe to write to a terminal: every control sequence
// (ESC and what follows it: CSI such as "\x1b[2J", OSC such as
// "\x1b]0;title\x07", DCS, SOS, PM, APC, the 8-bit forms "\x9b…" and
// U+009B…) is removed whole, and every other C0 or C1 control character
// except line feed and tab (carriage return, bell, backspace, DEL…) is
// removed. A bundle comes from someone else's machine: what it says must
// not move the cursor, clear the screen, change the window's title or hide
// text when `relais diag open` prints it.
func TerminalText(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c, n := controlAt(s, i)
		switch {
		case c < 0: // printable text, or a line feed or a tab
			b.WriteString(s[i : i+n])
			i += n
		case c == 0x1b:
			i = afterEscape(s, i+n)
		case c == 0x9b: // CSI
			i = afterCSI(s, i+n)
		case c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e || c == 0x9f: // DCS, SOS, OSC, PM, APC
			i = afterString(s, i+n)
		default:
			i += n
		}
	}
	return b.String()
}

// needsCleaning: s has a control character TerminalText removes.
func needsCleaning(s string) bool {
	for i := 0; i < len(s); {
		c, n := controlAt(s, i)
		if c >= 0 {
			return true
		}
		i += n
	}
	return false
}

// controlAt is the control character at s[i] and its length: a C0
// control or DEL (one byte), a C1 control written as U+0080…U+009F (two
// bytes) or as a raw byte 0x80…0x9F (one byte, invalid UTF-8 that an
// 8-bit terminal reads as C1); -1 and the length of the character there
// for anything else, line feed and tab included.
func controlAt(s string, i int) (int, int) {
	c := s[i]
	switch {
	case c == '\n' || c == '\t':
		return -1, 1
	case c < 0x20 || c == 0x7f:
		return int(c), 1
	case c < 0x80:
		return -1, 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && n == 1 && c >= 0x80 && c <= 0x9f:
		return int(c), 1
	case r >= 0x80 && r <= 0x9f:
		return int(r), n
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		// Bidirectional overrides and isolates: they reorder what follows
		// on the line, hiding or reversing text.
		return int(r), n
	}
	return -1, n
}

// afterEscape is where the escape sequence whose ESC ended at i ends.
func afterEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return afterCSI(s, i+1)
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC
		return afterString(s, i+1)
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f { // intermediate bytes
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e { // the final byte
		i++
	}
	return i
}

// afterCSI is where the control sequence whose introducer ended at i
// ends: parameter and intermediate bytes, then a final byte.
func afterCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// afterString is where the control string (an OSC's title…) that began
// at i ends: after BEL, ESC \ or ST, or at a line feed (a string not
// closed in its line is dropped to the end of the line, where the terminal
// would have swallowed it too).
func afterString(s string, i int) int {
	for i < len(s) {
		switch c, n := controlAt(s, i); {
		case s[i] == '\n':
			return i
		case c == 0x07 || c == 0x9c:
			return i + n
		case c == 0x1b: // ESC \ (ST) ends it; ESC and anything else, a new sequence
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		default:
			i += n
		}
	}
	return i
}
