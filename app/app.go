// Package app is the Fyne desktop front end of Relais, and the only code
// that imports fyne.io. It drives the engine and shows its state; it never
// talks to the tunnel, the checks or the store directly.
package app

import (
	"fmt"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"relais/assets"
	"relais/internal/i18n"
)

// ID is the application's identifier (also in FyneApp.toml).
const ID = "org.relais.Relais"

// Run opens the main window and blocks until the app quits. It returns an
// exit code: 0, or 2 when no window can open here (no display, no OpenGL),
// after saying so in one sentence that names the commands that still work.
func Run() (code int) {
	l := chooseLanguage("", "")
	if msg := noDisplay(os.Getenv, runtime.GOOS); msg != "" {
		fmt.Fprintln(os.Stderr, i18n.T(l, "app.no_window", msg))
		return 2
	}
	// GLFW reports a display or OpenGL it cannot use by panicking on this
	// (the main) goroutine; a person should read a sentence, not a stack.
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintln(os.Stderr, i18n.T(l, "app.no_window", fmt.Sprint(v)))
			code = 2
		}
	}()
	a := fyneapp.NewWithID(ID)
	a.SetIcon(Icon())
	w := a.NewWindow(lang.L("app.title"))
	w.SetContent(widget.NewLabel(lang.L("app.title")))
	w.Resize(fyne.NewSize(640, 420))
	w.ShowAndRun()
	return 0
}

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
// widgets built afterwards use it.
func useLanguage(l string) {
	os.Setenv("LANGUAGE", l)
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if val := os.Getenv(v); val != "" {
			if val == "C" || val == "POSIX" {
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
