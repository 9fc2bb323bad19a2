package app

import (
	"os"
	"testing"

	"fyne.io/fyne/v2/lang"
)

// The app's language switch changes what Fyne speaks, never the process
// environment that launched browsers and programs inherit.
func TestUseLanguageLeavesTheEnvironment(t *testing.T) {
	t.Setenv("LANG", "fr_FR.UTF-8")
	t.Setenv("LC_ALL", "")
	os.Unsetenv("LC_ALL")
	t.Setenv("LANGUAGE", "")
	os.Unsetenv("LANGUAGE")
	defer useLanguage("fr")

	useLanguage("en")
	if got := lang.L("app.title"); got == "" || got == "app.title" {
		t.Fatalf("no translation: %q", got)
	}
	en := lang.L("app.tab.home")
	if _, set := os.LookupEnv("LANGUAGE"); set {
		t.Errorf("LANGUAGE leaked into the environment: %q", os.Getenv("LANGUAGE"))
	}
	if _, set := os.LookupEnv("LC_ALL"); set || os.Getenv("LANG") != "fr_FR.UTF-8" {
		t.Errorf("locale changed: LANG=%q LC_ALL set=%v", os.Getenv("LANG"), set)
	}
	useLanguage("fr")
	if fr := lang.L("app.tab.home"); fr == en {
		t.Errorf("the language did not switch: %q in both", fr)
	}
}
