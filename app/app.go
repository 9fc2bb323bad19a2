// Package app is the Fyne desktop front end of Relais, and the only code
// that imports fyne.io. It drives the engine and shows its state; it never
// talks to the tunnel, the checks or the store directly.
package app

import (
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"relais/assets"
	"relais/internal/i18n"
)

// ID is the application's identifier (also in FyneApp.toml).
const ID = "org.relais.Relais"

// noDisplay says why no window can open, before Fyne tries: on X11 and
// Wayland systems, neither DISPLAY nor WAYLAND_DISPLAY is set.
func noDisplay(getenv func(string) string, goos string) string {
	switch goos {
	case "windows", "darwin", "android", "ios":
		return ""
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "DISPLAY / WAYLAND_DISPLAY"
	}
	return ""
}

// Icon is the application icon as a Fyne resource.
func Icon() fyne.Resource { return fyne.NewStaticResource("icon.png", assets.Icon) }

// chooseLanguage loads our translations into Fyne's lang package and makes
// it speak the language Relais chose: the setting, else the locale, else
// the profile's default, else French. Fyne reads the locale from the
// environment, and treats C/POSIX as English; we say what we mean through
// LANGUAGE (and, for a C locale, which hides LANGUAGE, the variable that
// holds it) before the translations are loaded.
func chooseLanguage(setting, profileDefault string) string {
	l := i18n.Choose(setting, i18n.Detect(os.Getenv), profileDefault)
	useLanguage(l)
	return l
}

// useLanguage makes Fyne's lang package speak l ("fr" or "en") from now on:
// widgets built afterwards use it. Fyne reads the language from the
// environment only while translations are added, so the variables are set
// for that moment and then put back: the browsers and programs Relais
// launches keep the person's own locale, whatever the app's setting.
func useLanguage(l string) {
	appLang = l
	vars := []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}
	saved := make(map[string]*string, len(vars))
	for _, v := range vars {
		if val, ok := os.LookupEnv(v); ok {
			saved[v] = &val
		} else {
			saved[v] = nil
		}
	}
	defer func() {
		for v, val := range saved {
			if val == nil {
				os.Unsetenv(v)
			} else {
				os.Setenv(v, *val)
			}
		}
	}()
	os.Setenv("LANGUAGE", l)
	for _, v := range vars[1:] {
		if val := os.Getenv(v); val != "" {
			if val == "C" || val == "POSIX" || strings.HasPrefix(val, "C.") {
				os.Setenv(v, l)
			}
			break
		}
	}
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		fyne.LogError("relais: translations", err)
	}
}

// Prepare must be the first call of main: it undoes the loader-time
// workaround for Fyne's locale parsing (see locale_linux.go), so that the
// process environment is the user's again.
func Prepare() { restoreLocaleEnv() }
