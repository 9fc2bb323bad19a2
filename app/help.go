package app

import (
	"bytes"
	"image"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/profile"
)

// helpScreen is the Aide tab: whom to call (the profile's contacts, with
// links that dial or write), the profile's offline help pages with their
// cached images, and the status summary a person copies or reads to the
// helpdesk. Everything it shows comes from the cached profile: it works
// with no network at all.
type helpScreen struct {
	u *ui

	contacts *fyne.Container // one block per contact, rebuilt when the profile changes
	linkMsg  *widget.Label   // why a tel:, mailto: or page link did not open
	pageList *widget.List
	page     *widget.RichText
	summary  *widget.Label // read-only, selectable: read aloud over the phone
	copy     *widget.Button
	copied   *widget.Label

	built  bool
	shown  *profile.Profile // the profile the contacts and pages come from
	pages  []profile.Page
	pageID string // the page shown, kept when the profile changes
}

var _ screen = (*helpScreen)(nil)

func newHelp(u *ui) *helpScreen { return &helpScreen{u: u} }

func (s *helpScreen) content() fyne.CanvasObject {
	s.contacts = container.NewVBox()
	s.linkMsg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.linkMsg.Hide()
	s.pageList = widget.NewList(
		func() int { return len(s.pages) },
		func() fyne.CanvasObject { return &widget.Label{Truncation: fyne.TextTruncateEllipsis} },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(s.pages[i].Title.In(s.u.lang))
		},
	)
	s.pageList.OnSelected = s.onPage
	s.page = widget.NewRichText()
	s.page.Wrapping = fyne.TextWrapWord
	s.summary = &widget.Label{Selectable: true, Wrapping: fyne.TextWrapWord}
	s.copy = &widget.Button{Text: tr("app.help.copy_summary"), Icon: theme.ContentCopyIcon(), OnTapped: s.onCopy}
	s.copied = &widget.Label{Importance: widget.SuccessImportance}

	left := container.NewVScroll(container.NewVBox(
		sectionHeading(tr("app.help.contacts")), s.contacts, s.linkMsg,
		widget.NewSeparator(),
		sectionHeading(tr("app.help.summary")),
		&widget.Label{Text: tr("app.help.summary_intro"), Wrapping: fyne.TextWrapWord},
		s.summary,
		container.NewHBox(s.copy, s.copied),
	))
	pages := container.NewVSplit(s.pageList, container.NewVScroll(s.page))
	pages.Offset = 0.25
	right := container.NewBorder(sectionHeading(tr("app.help.pages")), nil, nil, nil, pages)
	split := container.NewHSplit(left, right)
	split.Offset = 0.42
	s.refresh()
	return split
}

func (s *helpScreen) refresh() {
	if !s.built || s.u.prof.Profile != s.shown {
		s.showProfile()
	}
	s.summary.SetText(s.statusText())
}

func (s *helpScreen) statusText() string {
	return statusSummary(s.u.lang, s.u.info, s.u.prof, s.u.snap, s.u.now())
}

// showProfile builds the contacts and the page list of the profile in use.
func (s *helpScreen) showProfile() {
	p := s.u.prof.Profile
	s.built, s.shown = true, p

	s.contacts.RemoveAll()
	switch {
	case p == nil:
		s.contacts.Add(&widget.Label{Text: tr("app.help.no_profile"), Wrapping: fyne.TextWrapWord})
	case len(p.Contacts) == 0:
		s.contacts.Add(&widget.Label{Text: tr("app.help.contacts_none"), Wrapping: fyne.TextWrapWord})
	default:
		for i, c := range contactsInOrder(p.Contacts) {
			if i > 0 {
				s.contacts.Add(widget.NewSeparator())
			}
			s.contacts.Add(s.contactBlock(c))
		}
	}
	s.contacts.Refresh()

	s.pages = nil
	if p != nil {
		s.pages = p.Pages
	}
	s.pageList.UnselectAll()
	s.pageList.Refresh()
	if len(s.pages) == 0 {
		s.pageID = ""
		s.page.Segments = []widget.RichTextSegment{&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: tr("app.help.pages_none")}}
		s.page.Refresh()
		return
	}
	sel := 0
	for i, pg := range s.pages {
		if pg.ID == s.pageID {
			sel = i
		}
	}
	s.pageList.Select(sel)
}

// contactBlock is one contact: name, role in words, hours, and a link to
// call and one to write when the profile gives them.
func (s *helpScreen) contactBlock(c profile.Contact) fyne.CanvasObject {
	l := s.u.lang
	details := roleWords(c.Role)
	if !c.Hours.IsZero() {
		details += "\n" + tr("app.help.hours", c.Hours.In(l))
	}
	links := container.NewHBox()
	if c.Phone != "" {
		links.Add(s.link(tr("app.help.call", c.Phone), telURL(c.Phone)))
	}
	if c.Email != "" {
		links.Add(s.link(tr("app.help.mail", c.Email), &url.URL{Scheme: "mailto", Opaque: c.Email}))
	}
	box := container.NewVBox(
		&widget.Label{Text: c.Name.In(l), TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
		&widget.Label{Text: details, Wrapping: fyne.TextWrapWord},
		links,
	)
	return box
}

// link is a hyperlink that opens target through u.openURL, so that a
// failure is said on the screen.
func (s *helpScreen) link(text string, target *url.URL) *widget.Hyperlink {
	h := widget.NewHyperlink(text, target)
	h.OnTapped = func() { s.onOpen(target) }
	return h
}

func (s *helpScreen) onOpen(target *url.URL) {
	if err := s.u.openURL(target); err != nil {
		s.linkMsg.SetText(tr("app.help.open_failed", target.String(), words(err)))
		s.linkMsg.Show()
		return
	}
	s.linkMsg.Hide()
}

func (s *helpScreen) onPage(id widget.ListItemID) {
	if id < 0 || id >= len(s.pages) {
		return
	}
	pg := s.pages[id]
	s.pageID = pg.ID
	s.page.Segments = markdownSegments(s.u, pg.Body.In(s.u.lang), s.onOpen)
	s.page.Refresh()
}

func (s *helpScreen) onCopy() {
	text := s.statusText()
	s.summary.SetText(text)
	s.u.app.Clipboard().SetContent(text)
	s.copied.SetText(tr("app.help.summary_copied"))
}

// sectionHeading is a section title.
func sectionHeading(text string) *widget.Label {
	return &widget.Label{Text: text, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
}

// roleKeys name each contact role in words.
var roleKeys = map[string]string{
	"helpdesk":    "app.help.role.helpdesk",
	"ambassador":  "app.help.role.ambassador",
	"coordinator": "app.help.role.coordinator",
}

func roleWords(role string) string {
	if k, ok := roleKeys[role]; ok {
		return tr(k)
	}
	return role
}

// contactsInOrder puts the helpdesk first, then ambassadors, then
// coordinators, keeping the profile's order within a role.
func contactsInOrder(cs []profile.Contact) []profile.Contact {
	rank := func(role string) int {
		switch role {
		case "helpdesk":
			return 0
		case "ambassador":
			return 1
		case "coordinator":
			return 2
		}
		return 3
	}
	out := append([]profile.Contact(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Role) < rank(out[j].Role) })
	return out
}

// telURL is the tel: link of a phone number as the profile writes it,
// spaces (including non-breaking ones) removed.
func telURL(phone string) *url.URL {
	return &url.URL{Scheme: "tel", Opaque: strings.Join(strings.Fields(phone), "")}
}

// assetImageAlt finds the alt text of each ![alt](asset:ID) image: Fyne's
// Markdown parser keeps an image's title but drops its alt text, which is
// what a person reads when the image is not cached.
var assetImageAlt = regexp.MustCompile(`!\[([^\]]*)\]\(\s*<?asset:([A-Za-z0-9._-]+)`)

// maxImageWidth bounds a help image's width on screen; smaller images keep
// their size.
const maxImageWidth = 480

// markdownSegments renders a help text (a page, or a drill step's body) for
// a RichText: Markdown, with each asset:ID image drawn from the cached
// asset's bytes (u.b.Asset) and any image that is not cached shown as its
// alt text. Nothing is ever fetched: Fyne's own image segments would load
// their URI. Links open through open; links to an asset are plain text.
func markdownSegments(u *ui, md string, open func(*url.URL)) []widget.RichTextSegment {
	alts := map[string]string{}
	for _, m := range assetImageAlt.FindAllStringSubmatch(md, -1) {
		if _, ok := alts[m[2]]; !ok {
			alts[m[2]] = m[1]
		}
	}
	return offlineSegments(u, widget.NewRichTextFromMarkdown(md).Segments, alts, open)
}

func offlineSegments(u *ui, segs []widget.RichTextSegment, alts map[string]string, open func(*url.URL)) []widget.RichTextSegment {
	for i, seg := range segs {
		switch s := seg.(type) {
		case *widget.ImageSegment:
			segs[i] = cachedImage(u, s, alts)
		case *widget.HyperlinkSegment:
			// Only what the link policy opens is a link (profile.CheckURL,
			// the profile's allowed_schemes): a file:, javascript:, ms-msdt:
			// or share link signed into a page stays words.
			if s.URL == nil || s.URL.Scheme == "asset" || !linkAllowed(u, s.URL) {
				segs[i] = &widget.TextSegment{Style: widget.RichTextStyleInline, Text: s.Text}
				continue
			}
			target := s.URL
			s.OnTapped = func() { open(target) }
		case *widget.ListSegment:
			s.Items = offlineSegments(u, s.Items, alts, open)
		case *widget.ParagraphSegment:
			s.Texts = offlineSegments(u, s.Texts, alts, open)
		}
	}
	return segs
}

// linkAllowed reports whether the link policy opens target.
func linkAllowed(u *ui, target *url.URL) bool {
	var schemes []string
	if u.prof.Profile != nil {
		schemes = u.prof.Profile.AllowedSchemes
	}
	_, err := profile.CheckURL(target.String(), schemes)
	return err == nil
}

// cachedImage replaces a Markdown image by the cached asset it names, or by
// its alt text.
func cachedImage(u *ui, s *widget.ImageSegment, alts map[string]string) widget.RichTextSegment {
	id := ""
	if s.Source != nil && s.Source.Scheme() == "asset" {
		id = strings.TrimPrefix(strings.TrimPrefix(s.Source.String(), "asset:"), "//")
	}
	alt := alts[id]
	switch {
	case alt != "":
	case s.Title != "":
		alt = s.Title
	case id != "":
		alt = id
	case s.Source != nil:
		alt = s.Source.String()
	}
	if id != "" {
		if b, ok := u.b.Asset(id); ok {
			if img := newAssetImage(id, b, alt); img != nil {
				return img
			}
		}
	}
	style := widget.RichTextStyleParagraph
	style.TextStyle = fyne.TextStyle{Italic: true}
	return &widget.TextSegment{Style: style, Text: tr("app.help.image_missing", alt)}
}

// assetImage is a help image drawn from a cached asset's bytes.
type assetImage struct {
	res  fyne.Resource
	alt  string
	size fyne.Size
}

// newAssetImage is the image of an asset, or nil when its bytes are not an
// image Fyne can draw.
func newAssetImage(id string, b []byte, alt string) *assetImage {
	size := fyne.NewSize(320, 240)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
		w, h := float32(cfg.Width), float32(cfg.Height)
		if w > maxImageWidth {
			w, h = maxImageWidth, h*maxImageWidth/w
		}
		size = fyne.NewSize(w, h)
	} else if !strings.HasSuffix(strings.ToLower(id), ".svg") {
		return nil
	}
	return &assetImage{res: fyne.NewStaticResource(id, b), alt: alt, size: size}
}

// Inline is false: an image is a block of its own.
func (a *assetImage) Inline() bool { return false }

// Textual is the alt text.
func (a *assetImage) Textual() string { return a.alt }

// Visual draws the image at its size (bounded), keeping its proportions.
func (a *assetImage) Visual() fyne.CanvasObject {
	img := &canvas.Image{Resource: a.res, FillMode: canvas.ImageFillContain}
	img.SetMinSize(a.size)
	return img
}

// Update shows this segment's image in a visual Visual made.
func (a *assetImage) Update(o fyne.CanvasObject) {
	img, ok := o.(*canvas.Image)
	if !ok {
		return
	}
	img.Resource = a.res
	img.SetMinSize(a.size)
	img.Refresh()
}

// Select does nothing: an image has no text to select.
func (a *assetImage) Select(_, _ fyne.Position) {}

// SelectedText is empty: an image has no text to select.
func (a *assetImage) SelectedText() string { return "" }

// Unselect does nothing: an image has no text to select.
func (a *assetImage) Unselect() {}
