package i18n

import (
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// N returns the message for key chosen by the plural category of n in
// lang, CLDR's cardinal rules: key+".one" or key+".other" ("0 ressource
// téléchargée" in French, where 0 and 1 are singular; "0 assets
// downloaded" in English). The catalogue holds both forms as ordinary
// keys, so the GUI reads the same files. args are formatted as with T (n
// is not added: pass it where the message shows it).
func N(lang, key string, n int, args ...any) string {
	tag := language.French
	if Normalize(lang) == EN {
		tag = language.English
	}
	form := ".other"
	if plural.Cardinal.MatchPlural(tag, abs(n), 0, 0, 0, 0) == plural.One {
		form = ".one"
	}
	return T(lang, key+form, args...)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
