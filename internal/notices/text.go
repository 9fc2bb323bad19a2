package notices

// UnsafeRune returns the first character of s that a notice's text may not
// carry — a control character, a bidirectional formatting character, a line
// or paragraph separator, a byte-order mark, or invalid UTF-8 (as
// utf8.RuneError) — so that a form can word the problem before Parse would
// refuse the document. ok is false when s has none.
func UnsafeRune(s string) (r rune, ok bool) {
	for _, r := range s {
		if unsafeRune(r) {
			return r, true
		}
	}
	return 0, false
}
