package frontend

import (
	"relais/internal/i18n"
	"relais/internal/status"
)

// VerdictIn words Mode urgence's verdict in lang: the one sentence every
// front end says of it (status.Verdict.Message, the verdict.*
// translations, plural forms by the language's rules).
func VerdictIn(lang string, v status.Verdict) string {
	key, n, args := v.Message()
	if n >= 0 {
		return i18n.N(lang, key, n, args...)
	}
	return i18n.T(lang, key, args...)
}
