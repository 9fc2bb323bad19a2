// Package i18n turns message keys into French or English text for the
// terminal front end, and decides which language a person reads.
//
// The catalogue is the same pair of JSON files the GUI loads through Fyne's
// lang package (assets/translations). French is the default. This package
// must never import fyne.io: it serves the CLI, which runs where no display is.
package i18n

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"relais/assets"
)

// Languages Relais speaks. French first.
const (
	FR = "fr"
	EN = "en"
)

var (
	loadOnce sync.Once
	catalog  map[string]map[string]string
	loadErr  error
)

func load() {
	catalog = map[string]map[string]string{FR: {}, EN: {}}
	// translations/LANG.json and translations/PART.LANG.json (one file per
	// area of the product, as Fyne's lang package also reads them).
	entries, err := assets.Translations.ReadDir("translations")
	if err != nil {
		loadErr = fmt.Errorf("i18n: %w", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		parts := strings.Split(strings.TrimSuffix(name, ".json"), ".")
		l := parts[len(parts)-1]
		if _, ok := catalog[l]; !ok || !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := assets.Translations.ReadFile("translations/" + name)
		if err != nil {
			loadErr = fmt.Errorf("i18n: %s: %w", name, err)
			return
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			loadErr = fmt.Errorf("i18n: %s: %w", name, err)
			return
		}
		for k, v := range m {
			if _, dup := catalog[l][k]; dup {
				loadErr = fmt.Errorf("i18n: %s: key %s defined twice", name, k)
				return
			}
			catalog[l][k] = v
		}
	}
}

// Catalog returns the raw catalogue for a language (for tests and tools).
func Catalog(lang string) (map[string]string, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	return catalog[Normalize(lang)], nil
}

// T returns the message for key in lang, formatted with args. A key missing
// from the language falls back to French, then to the key itself, so a
// missing translation is visible but never fatal.
func T(lang, key string, args ...any) string {
	msg := Message(lang, key)
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Message is key's message in lang, unformatted: French when lang has
// none, the key itself when neither has.
func Message(lang, key string) string {
	loadOnce.Do(load)
	msg, ok := catalog[Normalize(lang)][key]
	if !ok {
		msg, ok = catalog[FR][key]
	}
	if !ok {
		msg = key
	}
	return msg
}

// Normalize maps anything that is not English to French.
func Normalize(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), EN) {
		return EN
	}
	return FR
}

// Detect returns the person's language as GNU gettext finds it, or "" when
// it is neither French nor English — so that the caller applies the
// profile's default language. The locale is the first set of LC_ALL,
// LC_MESSAGES and LANG (as in setlocale(3)); LANGUAGE, a priority list
// ("en_CA:fr"), comes before it — except in the C or POSIX locale (or none
// at all), where gettext ignores LANGUAGE and which say nothing about the
// person.
func Detect(getenv func(string) string) string {
	locale := ""
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if val := getenv(v); val != "" {
			locale = val
			break
		}
	}
	if locale == "" || locale == "C" || locale == "POSIX" || strings.HasPrefix(locale, "C.") {
		return ""
	}
	for _, part := range strings.Split(getenv("LANGUAGE"), ":") {
		if l := fromLocale(part); l != "" {
			return l
		}
	}
	return fromLocale(locale)
}

func fromLocale(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "fr"):
		return FR
	case strings.HasPrefix(s, "en"):
		return EN
	}
	return ""
}

// Choose picks the language to speak: forced (a --lang flag or a setting)
// wins, then the locale, then the profile's default, then French.
func Choose(forced, detected, profileDefault string) string {
	for _, l := range []string{forced, detected, profileDefault} {
		if l != "" {
			return Normalize(l)
		}
	}
	return FR
}
