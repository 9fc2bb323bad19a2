package i18n

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// One vocabulary: the tunnel's modes and the gateway's answer have one
// plain name in each language. In French, userspace mode is « sans droits
// d'administrateur » and the WireGuard handshake is « réponse de la
// passerelle »; in English, "without administrator rights" and "answer
// from the gateway". Command syntax (keys with ".usage" or ".flag.") and
// quoted text (a flag value as typed: « --mode userspace ») are left out.
func TestOneVocabulary(t *testing.T) {
	quoted := regexp.MustCompile("«[^»]*»|“[^”]*”|\"[^\"]*\"|`[^`]*`")
	banned := map[string][]string{
		FR: {"userspace", "mode utilisateur", "poignée de main", "poignées de main"},
		EN: {"userspace mode", "handshake"},
	}
	var bad []string
	for _, l := range []string{FR, EN} {
		c, err := Catalog(l)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c {
			if strings.Contains(k, ".usage") || strings.Contains(k, ".flag.") {
				continue
			}
			plain := strings.ToLower(quoted.ReplaceAllString(v, "«»"))
			for _, w := range banned[l] {
				if strings.Contains(plain, w) {
					bad = append(bad, l+" "+k+": \""+w+"\": "+v)
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}
