// Package casecode checks the case code that names a diagnostics bundle
// (RLS-7K3M-Q9TD), without the weight of internal/diag (which collects and
// encrypts bundles): the organisation's server needs only to recognise one.
// Its test holds it to diag.ValidCaseCode.
package casecode

import "strings"

// Alphabet has no look-alikes read over the phone: no 0/O, 1/I/L, 2/Z,
// 5/S, 8/B, U/V. It is diag's.
const Alphabet = "34679ACDEFGHJKMNPQRTWXY"

// Prefix starts every case code.
const Prefix = "RLS-"

// Valid reports whether s is a well-formed case code: RLS-, four
// characters of Alphabet, a hyphen, four more.
func Valid(s string) bool {
	if len(s) != len("RLS-XXXX-XXXX") || !strings.HasPrefix(s, Prefix) || s[8] != '-' {
		return false
	}
	for i := len(Prefix); i < len(s); i++ {
		if i == 8 {
			continue
		}
		if strings.IndexByte(Alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
