package app

import (
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// visibleTexts collects the texts a person can see in o: labels, buttons,
// rich texts, hyperlinks, checks, entries, cards and canvas texts, in tree
// order, skipping hidden objects and empty strings.
func visibleTexts(o fyne.CanvasObject) []string {
	var out []string
	add := func(s ...string) {
		for _, x := range s {
			if strings.TrimSpace(x) != "" {
				out = append(out, x)
			}
		}
	}
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			add(w.Text)
		case *widget.Button:
			add(w.Text)
		case *widget.RichText:
			add(w.String())
		case *widget.Hyperlink:
			add(w.Text)
		case *widget.Check:
			add(w.Text)
		case *widget.Entry:
			if w.Text != "" {
				add(w.Text)
			} else {
				add(w.PlaceHolder)
			}
		case *widget.Select:
			if w.Selected != "" {
				add(w.Selected)
			} else {
				add(w.PlaceHolder)
			}
		case *widget.RadioGroup:
			add(w.Options...)
		case *widget.Card:
			add(w.Title, w.Subtitle)
			walk(w.Content)
		case *widget.Accordion:
			for _, it := range w.Items {
				add(it.Title)
				if it.Open {
					walk(it.Detail)
				}
			}
		case *canvas.Text:
			add(w.Text)
		case *container.Scroll:
			walk(w.Content)
		case *container.AppTabs:
			for _, it := range w.Items {
				add(it.Text)
			}
			if sel := w.Selected(); sel != nil {
				walk(sel.Content)
			}
		case *container.DocTabs:
			for _, it := range w.Items {
				add(it.Text)
			}
			if sel := w.Selected(); sel != nil {
				walk(sel.Content)
			}
		case *container.Split:
			walk(w.Leading)
			walk(w.Trailing)
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// rawKey is what a message key looks like when its translation is missing.
var rawKey = regexp.MustCompile(`^app\.[a-z_.]+$`)

// assertNoRawKeys fails the test for every visible text of o that is a raw
// message key.
func assertNoRawKeys(t *testing.T, o fyne.CanvasObject) {
	t.Helper()
	for _, s := range visibleTexts(o) {
		if rawKey.MatchString(s) {
			t.Errorf("raw message key on screen: %q", s)
		}
	}
}

// hasText reports whether one of o's visible texts is s.
func hasText(o fyne.CanvasObject, s string) bool {
	for _, x := range visibleTexts(o) {
		if x == s {
			return true
		}
	}
	return false
}

// containsText reports whether one of o's visible texts contains s.
func containsText(o fyne.CanvasObject, s string) bool {
	for _, x := range visibleTexts(o) {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func TestVisibleTexts(t *testing.T) {
	test.NewTempApp(t)
	hidden := widget.NewLabel("hidden")
	hidden.Hide()
	o := container.NewVScroll(container.NewVBox(
		widget.NewLabel("app.home.missing"),
		hidden,
		widget.NewButton("Vérifier", nil),
		widget.NewRichTextWithText("riche"),
		widget.NewCard("titre", "", widget.NewLabel("dans la carte")),
		widget.NewLabel(""),
	))
	got := strings.Join(visibleTexts(o), "|")
	if want := "app.home.missing|Vérifier|riche|titre|dans la carte"; got != want {
		t.Errorf("visibleTexts = %q, want %q", got, want)
	}
	if !rawKey.MatchString("app.home.missing") || rawKey.MatchString("Mode urgence") {
		t.Error("rawKey does not tell a key from a sentence")
	}
}
