package app

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/profile"
)

// newTestHelp is the Aide screen of a test UI in language l, shown in a
// 1024×600 test window.
func newTestHelp(t *testing.T, fb *frontendtest.Backend, l string) (*testUI, *helpScreen, fyne.CanvasObject) {
	t.Helper()
	tu := newTestUI(t, fb, l)
	h := newHelp(tu.ui)
	c := h.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 600))
	return tu, h, c
}

// visibleObjects is every visible object of o's tree, widgets' rendered
// objects included, in tree order.
func visibleObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch w := o.(type) {
		case *container.Scroll:
			walk(w.Content)
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

func hyperlinks(o fyne.CanvasObject) []*widget.Hyperlink {
	var out []*widget.Hyperlink
	for _, x := range visibleObjects(o) {
		if h, ok := x.(*widget.Hyperlink); ok {
			out = append(out, h)
		}
	}
	return out
}

// tapLink taps a hyperlink over its text (a tap beside the text does
// nothing).
func tapLink(h *widget.Hyperlink) {
	test.TapAt(h, fyne.NewPos(theme.InnerPadding()+4, h.Size().Height/2))
}

// richTextString is all the text of a rich text, lists and paragraphs
// included (RichText.String leaves them out).
func richTextString(segs []widget.RichTextSegment) string {
	var b strings.Builder
	for _, s := range segs {
		if blk, ok := s.(widget.RichTextBlock); ok {
			b.WriteString(richTextString(blk.Segments()))
			continue
		}
		b.WriteString(s.Textual())
	}
	return b.String()
}

// indexOf is the position of the first visible text of o equal to s, or -1.
func indexOf(o fyne.CanvasObject, s string) int {
	for i, x := range visibleTexts(o) {
		if x == s {
			return i
		}
	}
	return -1
}

func TestHelpContacts(t *testing.T) {
	fb := newFakeBackend(t)
	// The profile lists the coordinator first: the helpdesk still leads.
	p := *fb.Prof.Profile
	p.Contacts = []profile.Contact{p.Contacts[2], p.Contacts[1], p.Contacts[0]}
	fb.Prof.Profile = &p
	tu, _, c := newTestHelp(t, fb, "fr")

	for _, s := range []string{"Centre de services", "Assistance informatique\nHoraires : 24 h sur 24, 7 jours sur 7",
		"Camille Exemple, ambassadrice de la direction des finances", "Ambassadeur ou ambassadrice",
		"Coordination de la continuité", "Coordination\nHoraires : Jours ouvrables, 8 h à 18 h"} {
		if !hasText(c, s) {
			t.Errorf("%q not shown: %q", s, visibleTexts(c))
		}
	}
	helpdesk, ambassador, coordinator := indexOf(c, "Centre de services"), indexOf(c, "Ambassadeur ou ambassadrice"), indexOf(c, "Coordination de la continuité")
	if !(helpdesk < ambassador && ambassador < coordinator) {
		t.Errorf("contacts not in the order helpdesk, ambassador, coordinator: %q", visibleTexts(c))
	}

	links := hyperlinks(c)
	var texts, urls []string
	for _, h := range links {
		texts = append(texts, h.Text)
		urls = append(urls, h.URL.String())
	}
	wantTexts := []string{"Appeler le +33 1 99 00 12 34", "Écrire à soutien@example.org", "Appeler le +33 1 99 00 56 78", "Écrire à continuite@example.org"}
	wantURLs := []string{"tel:+33199001234", "mailto:soutien@example.org", "tel:+33199005678", "mailto:continuite@example.org"}
	if strings.Join(texts, "|") != strings.Join(wantTexts, "|") || strings.Join(urls, "|") != strings.Join(wantURLs, "|") {
		t.Fatalf("links = %q → %q, want %q → %q", texts, urls, wantTexts, wantURLs)
	}
	for _, h := range links {
		tapLink(h)
	}
	if strings.Join(tu.urls, "|") != strings.Join(wantURLs, "|") {
		t.Errorf("opened %q, want %q", tu.urls, wantURLs)
	}
}

func TestHelpLinkFails(t *testing.T) {
	fb := newFakeBackend(t)
	tu, _, c := newTestHelp(t, fb, "fr")
	tu.openURL = func(*url.URL) error { return errors.New("aucun logiciel de téléphonie") }
	tapLink(hyperlinks(c)[0])
	// The system's error, not the backend's: the generic sentence.
	if want := "Impossible d'ouvrir tel:+33199001234 : Relais a rencontré une erreur. (détail : aucun logiciel de téléphonie)"; !hasText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
}

// A page's asset:etape1.png image is drawn from the cached bytes, and no
// image segment (which would load its URI) is left.
func TestHelpPageImage(t *testing.T) {
	fb := newFakeBackend(t)
	_, h, c := newTestHelp(t, fb, "fr")
	if h.pageID != "premiers-pas" {
		t.Fatalf("page shown: %q, want the first", h.pageID)
	}
	page := richTextString(h.page.Segments)
	if !hasText(c, "Premiers pas en mode urgence") || !strings.Contains(page, "Cliquez sur") || !strings.Contains(page, "Si une application reste rouge") {
		t.Errorf("page text missing: %q", page)
	}
	if containsText(c, "asset:") {
		t.Errorf("asset reference shown as text: %q", visibleTexts(c))
	}
	var found bool
	for _, o := range visibleObjects(h.page) {
		if img, ok := o.(*canvas.Image); ok && img.Resource != nil && bytes.Equal(img.Resource.Content(), fb.Assets["etape1.png"]) {
			found = true
			if sz := img.MinSize(); sz.Width != 64 || sz.Height != 64 {
				t.Errorf("image size %v, want the asset's 64×64", sz)
			}
		}
	}
	if !found {
		t.Error("no image drawn from the cached asset etape1.png")
	}
	assertNoImageSegments(t, h.page.Segments)

	h.pageList.Select(1)
	if page := richTextString(h.page.Segments); h.pageID != "sans-reseau" || !strings.Contains(page, "Le tunnel passe par Internet") {
		t.Errorf("second page not shown: %q", page)
	}
}

func assertNoImageSegments(t *testing.T, segs []widget.RichTextSegment) {
	t.Helper()
	for _, s := range segs {
		switch s := s.(type) {
		case *widget.ImageSegment:
			t.Errorf("image segment left, it would load %v", s.Source)
		case widget.RichTextBlock:
			assertNoImageSegments(t, s.Segments())
		}
	}
}

// An image that is not cached shows its alt text, and nothing is fetched.
func TestHelpPageMissingImage(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Assets = map[string][]byte{"etape1.png": []byte("not an image")}
	_, h, c := newTestHelp(t, fb, "en")
	if want := "[Image not available on this computer: The Mode urgence button]"; !containsText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
	delete(fb.Assets, "etape1.png")
	h.showProfile()
	if want := "[Image not available on this computer: The Mode urgence button]"; !containsText(c, want) {
		t.Errorf("%q not shown: %q", want, visibleTexts(c))
	}
	for _, o := range visibleObjects(h.page) {
		if _, ok := o.(*canvas.Image); ok {
			t.Error("an image is drawn for an asset that is not cached")
		}
	}
	assertNoImageSegments(t, h.page.Segments)
}

func TestMarkdownSegments(t *testing.T) {
	fb := newFakeBackend(t)
	tu := newTestUI(t, fb, "fr")
	var opened []string
	md := "- voir ![étape](asset:etape1.png)\n- le [portail](https://portail.example.org/) et la [notice](asset:notice.pdf)\n\n![distante](https://example.org/x.png)\n"
	segs := markdownSegments(tu.ui, md, func(u *url.URL) { opened = append(opened, u.String()) })
	assertNoImageSegments(t, segs)
	text := richTextString(segs)
	for _, want := range []string{"portail", "notice", "[Image non disponible sur cet ordinateur : https://example.org/x.png]"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q not in %q", want, text)
		}
	}
	var links []*widget.HyperlinkSegment
	var images []*assetImage
	var walk func([]widget.RichTextSegment)
	walk = func(segs []widget.RichTextSegment) {
		for _, s := range segs {
			switch s := s.(type) {
			case *widget.HyperlinkSegment:
				links = append(links, s)
			case *assetImage:
				images = append(images, s)
			case widget.RichTextBlock:
				walk(s.Segments())
			}
		}
	}
	walk(segs)
	if len(images) != 1 || images[0].Textual() != "étape" {
		t.Errorf("images = %v, want the cached étape", images)
	}
	if len(links) != 1 {
		t.Fatalf("links = %v, want the portal only (an asset link is text)", links)
	}
	links[0].OnTapped()
	if len(opened) != 1 || opened[0] != "https://portail.example.org/" {
		t.Errorf("opened %q", opened)
	}
}

func TestHelpCopySummary(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Snap = sampleSnapshot(fb.Prof.Profile)
	tu, h, c := newTestHelp(t, fb, "fr")
	want := statusSummary("fr", tu.info, tu.prof, tu.snap, testNow)
	if h.summary.Text != want {
		t.Errorf("summary shown:\n%s\nwant:\n%s", h.summary.Text, want)
	}
	if !strings.Contains(want, "Messagerie (en panne)") {
		t.Fatalf("sample summary unexpected: %s", want)
	}
	if hasText(c, "Résumé copié") {
		t.Error("copied before the tap")
	}
	test.Tap(h.copy)
	if got := tu.app.Clipboard().Content(); got != want {
		t.Errorf("clipboard:\n%s\nwant:\n%s", got, want)
	}
	if !hasText(c, "Résumé copié") || !hasText(c, "Copier le résumé") {
		t.Errorf("no confirmation: %q", visibleTexts(c))
	}
}

// A new profile replaces the contacts and pages; no profile says so.
func TestHelpProfileChanges(t *testing.T) {
	fb := newFakeBackend(t)
	tu, h, c := newTestHelp(t, fb, "fr")
	p := *fb.Prof.Profile
	p.Pages = append([]profile.Page{{ID: "nouvelle", Title: profile.Text{FR: "Nouvelle page", EN: "New page"},
		Body: profile.Text{FR: "Texte neuf.", EN: "New text."}}}, p.Pages...)
	tu.prof.Profile = &p
	h.refresh()
	if h.pageList.Length() != 3 || h.pageID != "premiers-pas" || !hasText(c, "Nouvelle page") {
		t.Errorf("pages after update: %d, shown %q: %q", h.pageList.Length(), h.pageID, visibleTexts(c))
	}
	tu.prof = frontend.ProfileState{}
	h.refresh()
	for _, want := range []string{
		"Aucun profil de continuité sur cet ordinateur : les contacts et les pages d'aide arriveront avec lui.",
		"Le profil de continuité ne contient aucune page d'aide.",
	} {
		if !containsText(c, want) {
			t.Errorf("%q not shown: %q", want, visibleTexts(c))
		}
	}
	if len(hyperlinks(c)) != 0 {
		t.Error("links left without a profile")
	}
}

func TestHelpBothLanguages(t *testing.T) {
	for _, tc := range []struct{ lang, call, copy string }{
		{"fr", "Appeler le +33 1 99 00 12 34", "Copier le résumé"},
		{"en", "Call +33 1 99 00 12 34", "Copy the summary"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Snap = sampleSnapshot(fb.Prof.Profile)
			_, _, c := newTestHelp(t, fb, tc.lang)
			assertNoRawKeys(t, c)
			if !hasText(c, tc.call) || !hasText(c, tc.copy) {
				t.Errorf("%q or %q missing: %q", tc.call, tc.copy, visibleTexts(c))
			}
		})
	}
	useLanguage("fr")
}

// A link signed into a page or a drill step is clickable only if the link
// policy opens it: file:, javascript:, ms-msdt: and share links stay
// words, even when the profile lists the scheme (an older signed profile).
func TestMarkdownLinksFollowTheLinkPolicy(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Prof.Profile.AllowedSchemes = append(fb.Prof.Profile.AllowedSchemes, "ms-msdt", "smb", "msteams")
	tu := newTestUI(t, fb, "fr")
	md := "[a](file:///etc/passwd) [b](javascript:alert(1)) [c](ms-msdt:/id%20PCWDiagnostic) [d](smb://srv/share) " +
		"[e](//srv/share) [f](msteams:/l/meetup-join/x) [g](https://portail.example.org/)\n"
	var opened []string
	segs := markdownSegments(tu.ui, md, func(u *url.URL) { opened = append(opened, u.String()) })
	var links []string
	var walk func([]widget.RichTextSegment)
	walk = func(segs []widget.RichTextSegment) {
		for _, s := range segs {
			switch s := s.(type) {
			case *widget.HyperlinkSegment:
				links = append(links, s.Text)
				s.OnTapped()
			case widget.RichTextBlock:
				walk(s.Segments())
			}
		}
	}
	walk(segs)
	if strings.Join(links, ",") != "f,g" {
		t.Errorf("clickable links %v, want only f (msteams, allowed) and g (https)", links)
	}
	if len(opened) != 2 {
		t.Errorf("opened %v", opened)
	}
	if text := richTextString(segs); !strings.Contains(text, "a") || !strings.Contains(text, "d") {
		t.Errorf("refused links lost their words: %q", text)
	}
}
