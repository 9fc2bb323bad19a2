package i18n

import (
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// N returns the message for key chosen by the plural category of n in
// lang, CLDR's cardinal rules: key+".one" or key+".other" ("0 ressource
// téléchargée" in French, where 0 and 1 are singular; "0 assets
// downloaded" in English). The catalogue holds both forms as ordinary
// keys, so the GUI reads the same files. args are formatted as with T (n
// is not added: pass it where the message shows it). A form may leave out
// arguments the other form shows, from the end ("l'application ne répond
// pas" for one, "aucune des %d applications" for several); a form that
// leaves out an earlier one names the others by index (%[2]s).
func N(lang, key string, n int, args ...any) string {
	tag := language.French
	if Normalize(lang) == EN {
		tag = language.English
	}
	form := ".other"
	if plural.Cardinal.MatchPlural(tag, abs(n), 0, 0, 0, 0) == plural.One {
		form = ".one"
	}
	if v, indexed := verbs(Message(lang, key+form)); !indexed && v < len(args) {
		args = args[:v]
	}
	return T(lang, key+form, args...)
}

// verbs counts format's verbs (%% is not one); indexed: one names its
// argument ("%[2]s"), so fmt itself tolerates the arguments left out.
func verbs(format string) (n int, indexed bool) {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			i++
			continue
		}
		n++
		for j := i + 1; j < len(format) && strings.IndexByte("+-# 0123456789.[]*", format[j]) >= 0; j++ {
			if format[j] == '[' {
				indexed = true
			}
			i = j
		}
	}
	return n, indexed
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
