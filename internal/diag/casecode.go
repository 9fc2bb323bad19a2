package diag

import (
	"crypto/rand"
	"strings"
)

// caseAlphabet has no look-alikes read over the phone: no 0/O, 1/I/L,
// 2/Z, 5/S, 8/B, U/V.
const caseAlphabet = "34679ACDEFGHJKMNPQRTWXY"

const casePrefix = "RLS-"

// NewCaseCode returns a new case code like RLS-7K3M-Q9TD: 8 random
// characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z,
// 5/S, 8/B, U/V).
func NewCaseCode() string {
	const n = len(caseAlphabet)
	limit := 256 - 256%n // rejection sampling keeps every character equally likely
	var b strings.Builder
	b.WriteString(casePrefix)
	buf := make([]byte, 16)
	for got := 0; got < 8; {
		// crypto/rand.Read never fails on the platforms Go supports (it
		// crashes the program instead), so there is no error to return.
		_, _ = rand.Read(buf)
		for _, c := range buf {
			if int(c) >= limit || got == 8 {
				continue
			}
			if got == 4 {
				b.WriteByte('-')
			}
			b.WriteByte(caseAlphabet[int(c)%n])
			got++
		}
	}
	return b.String()
}

// ValidCaseCode reports whether s is a well-formed case code.
func ValidCaseCode(s string) bool {
	if len(s) != len("RLS-XXXX-XXXX") || !strings.HasPrefix(s, casePrefix) || s[8] != '-' {
		return false
	}
	for i, c := range s[len(casePrefix):] {
		if i == 4 {
			continue
		}
		if c > 0x7f || strings.IndexByte(caseAlphabet, byte(c)) < 0 {
			return false
		}
	}
	return true
}

// FileName is the bundle's file name: relais-diag-<CASE>.zip, or
// .zip.age when encrypted.
func FileName(caseCode string, encrypted bool) string {
	name := "relais-diag-" + caseCode + ".zip"
	if encrypted {
		name += ".age"
	}
	return name
}
