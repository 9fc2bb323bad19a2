package i18n

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// What a person reads reads right, in every message of both languages:
// no "(s)" (real plurals: N), no raw rule syntax ("[RESPONSE_TIME]"), no
// "de le"/"à les" (a name put after a preposition with its article), and
// never a word of the other language. Quoted text («…», “…”, "…", `…`) is
// a value the person types or sees elsewhere, and is left out.
func TestWordsReadRight(t *testing.T) {
	quoted := regexp.MustCompile("«[^»]*»|“[^”]*”|\"[^\"]*\"|`[^`]*`")
	rule := regexp.MustCompile(`\[[A-Z_]{3,}\]`)
	// "de le" is right before a verb ("permet de le parcourir").
	contraction := regexp.MustCompile(`(?i)\b(de|à) (le|les) ([\pL%]+)`)
	// Words, not parts of words: Go's \b knows only ASCII ("notée").
	english := regexp.MustCompile(`(?i)(?:^|[^\pL])(the|and|with|without|yet|device|please|failed|none|error|not|flag|provided|defined)(?:[^\pL]|$)`)
	french := regexp.MustCompile(`(?:^|[^\pL])(le|la|les|des|du|pour|avec|sans|une|aucun|aucune|est|sont)(?:[^\pL]|$)`)
	verb := regexp.MustCompile(`(er|ir|re|oir)$`)
	var bad []string
	for _, l := range []string{FR, EN} {
		c, err := Catalog(l)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c {
			if strings.Contains(k, ".usage") || strings.Contains(k, ".flag.") {
				continue // command syntax: flags and their values as typed
			}
			plain := quoted.ReplaceAllString(v, "«»")
			if strings.Contains(v, "(s)") {
				bad = append(bad, l+" "+k+": \"(s)\" instead of a plural form: "+v)
			}
			if rule.MatchString(plain) {
				bad = append(bad, l+" "+k+": rule syntax: "+v)
			}
			switch l {
			case FR:
				for _, m := range contraction.FindAllStringSubmatch(plain, -1) {
					if !verb.MatchString(m[3]) {
						bad = append(bad, l+" "+k+": \""+m[0]+"\": "+v)
					}
				}
				if m := english.FindString(plain); m != "" {
					bad = append(bad, l+" "+k+": English word \""+m+"\": "+v)
				}
			case EN:
				if m := french.FindString(plain); m != "" {
					bad = append(bad, l+" "+k+": French word \""+m+"\": "+v)
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}
