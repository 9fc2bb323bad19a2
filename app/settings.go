package app

import (
	"errors"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"rsc.io/qr"

	"relais/internal/frontend"
)

// settingsScreen is the Réglages tab: language, start at login, tunnel
// mode (each saved at once; a setting the organisation locks is shown
// disabled), the device's public key for enrolment (text, QR code, copy;
// or a button to create it), the import of a .conf file from IT, and the
// app's version.
type settingsScreen struct {
	u          *ui
	onLanguage func(lang string) // the shell rebuilds the window in the new language

	language   *widget.RadioGroup
	autostart  *widget.Check
	autoLocked *widget.Label
	mode       *widget.RadioGroup
	modeLocked *widget.Label
	saveMsg    *widget.Label

	sysProxy       *widget.Check // settings_proxy.go
	sysProxyLocked *widget.Label

	key        *widget.Label
	keySource  *widget.Label
	keyIntro   *widget.Label // what the key is for: given to IT, unless the server enrolled it
	keyProblem *widget.Label
	qr         *canvas.Image
	copyKey    *widget.Button
	generate   *widget.Button
	importConf *widget.Button
	deleteKey  *widget.Button
	keyMsg     *widget.Label
	confirm    *dialog.ConfirmDialog // the question on screen, if any

	// onIdentity tells the rest of the window that the identity changed;
	// the shell sets it.
	onIdentity func()

	cur      frontend.Settings // what the widgets show: each change saves it whole
	quiet    bool              // the widgets are being set from cur, not by a person
	asked    bool              // the identity was asked for
	identity frontend.Identity // the last identity read

	// saveMu orders the saves of the background goroutines, one at a time.
	saveMu sync.Mutex
}

// The settings' values, and the keys of their words, in the order shown.
var (
	languageValues = []string{frontend.LanguageAuto, frontend.LanguageFR, frontend.LanguageEN}
	languageKeys   = []string{"app.settings.language.auto", "app.settings.language.fr", "app.settings.language.en"}
	modeValues     = []string{frontend.ModeAuto, frontend.ModeUserspace, frontend.ModeSystem}
	modeKeys       = []string{"app.settings.mode.auto", "app.settings.mode.userspace", "app.settings.mode.system"}
)

var _ screen = (*settingsScreen)(nil)

func newSettings(u *ui, onLanguage func(lang string)) *settingsScreen {
	return &settingsScreen{u: u, onLanguage: onLanguage}
}

func (s *settingsScreen) content() fyne.CanvasObject {
	s.language = &widget.RadioGroup{Options: settingWords(languageKeys), Horizontal: true, Required: true, OnChanged: s.onLanguageChanged}
	s.autostart = &widget.Check{Text: tr("app.settings.autostart"), OnChanged: s.onAutostart}
	s.autoLocked = lockedNote()
	s.mode = &widget.RadioGroup{Options: settingWords(modeKeys), Required: true, OnChanged: s.onMode}
	s.modeLocked = lockedNote()
	s.saveMsg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.saveMsg.Hide()
	sysProxy := s.systemProxyContent()

	s.key = &widget.Label{Text: tr("app.settings.key_loading"), Selectable: true, Wrapping: fyne.TextWrapBreak}
	s.keySource = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.keySource.Hide()
	s.keyProblem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	s.keyProblem.Hide()
	// One image pixel a QR module, scaled without smoothing: crisp edges a
	// phone's camera reads.
	s.qr = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScalePixels}
	s.qr.SetMinSize(fyne.NewSize(180, 180))
	s.qr.Hide()
	s.copyKey = &widget.Button{Text: tr("app.settings.copy_key"), Icon: theme.ContentCopyIcon(), OnTapped: s.onCopyKey}
	s.copyKey.Hide()
	s.generate = &widget.Button{Text: tr("app.settings.generate"), OnTapped: s.onGenerate}
	s.generate.Hide()
	s.importConf = &widget.Button{Text: tr("app.settings.import"), Icon: theme.FolderOpenIcon(), OnTapped: s.onImport}
	s.deleteKey = &widget.Button{Text: tr("app.identity.delete"), Icon: theme.DeleteIcon(), Importance: widget.DangerImportance, OnTapped: s.onDelete}
	s.deleteKey.Hide()
	s.keyMsg = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.keyMsg.Hide()
	s.keyIntro = &widget.Label{Text: tr("app.settings.key_intro"), Wrapping: fyne.TextWrapWord}

	version := tr("app.settings.version_no_commit", s.u.info.Version)
	if s.u.info.Commit != "" {
		version = tr("app.settings.version", s.u.info.Version, s.u.info.Commit)
	}

	s.cur = s.u.b.Settings()
	s.showSettings(s.cur)
	s.refresh()

	return container.NewVScroll(container.NewVBox(
		sectionHeading(tr("app.settings.language")), s.language,
		sectionHeading(tr("app.settings.startup")), container.NewHBox(s.autostart, s.autoLocked),
		container.NewHBox(sectionHeading(tr("app.settings.tunnel")), s.modeLocked), s.mode,
		&widget.Label{Text: tr("app.settings.mode_help"), Wrapping: fyne.TextWrapWord},
		sysProxy,
		s.saveMsg,
		widget.NewSeparator(),
		sectionHeading(tr("app.settings.key")),
		s.keyIntro,
		s.key, s.keySource, s.keyProblem,
		container.NewHBox(s.qr, container.NewVBox(s.copyKey)),
		container.NewHBox(s.importConf, s.generate, s.deleteKey),
		s.keyMsg,
		widget.NewSeparator(),
		&widget.Label{Text: version, Importance: widget.LowImportance},
	))
}

func (s *settingsScreen) refresh() {
	s.showLocks(s.u.b.Locks())
	if !s.asked {
		s.asked = true
		s.loadIdentity()
	}
}

// showSettings sets the widgets to st without saving anything.
func (s *settingsScreen) showSettings(st frontend.Settings) {
	s.quiet = true
	defer func() { s.quiet = false }()
	s.language.SetSelected(settingWord(languageKeys, languageValues, st.Language))
	s.autostart.SetChecked(st.Autostart)
	s.mode.SetSelected(settingWord(modeKeys, modeValues, st.TunnelMode))
	s.sysProxy.SetChecked(st.SystemProxy)
}

func (s *settingsScreen) showLocks(l frontend.Locks) {
	showLock(s.autostart, s.autoLocked, l.Autostart)
	showLock(s.mode, s.modeLocked, l.TunnelMode)
	showLock(s.sysProxy, s.sysProxyLocked, l.SystemProxy)
}

func showLock(w fyne.Disableable, note *widget.Label, locked bool) {
	if locked {
		w.Disable()
		note.Show()
		return
	}
	w.Enable()
	note.Hide()
}

func lockedNote() *widget.Label {
	l := &widget.Label{Text: tr("app.settings.locked"), TextStyle: fyne.TextStyle{Italic: true}, Importance: widget.MediumImportance}
	l.Hide()
	return l
}

func (s *settingsScreen) onLanguageChanged(word string) {
	if s.quiet {
		return
	}
	v := settingValue(languageKeys, languageValues, word)
	if v == "" || v == s.cur.Language {
		return
	}
	s.cur.Language = v
	s.save(func() {
		if s.onLanguage != nil {
			s.onLanguage(v)
		}
	})
}

func (s *settingsScreen) onAutostart(on bool) {
	if s.quiet || on == s.cur.Autostart {
		return
	}
	s.cur.Autostart = on
	s.save(nil)
}

func (s *settingsScreen) onMode(word string) {
	if s.quiet {
		return
	}
	v := settingValue(modeKeys, modeValues, word)
	if v == "" || v == s.cur.TunnelMode {
		return
	}
	s.cur.TunnelMode = v
	s.save(nil)
}

// save records s.cur in the background; then runs saved, or, when the
// backend refuses, says why and shows the settings it kept.
func (s *settingsScreen) save(saved func()) {
	next := s.cur
	s.u.background(func() {
		s.saveMu.Lock()
		err := s.u.b.SaveSettings(next)
		s.saveMu.Unlock()
		fyne.Do(func() {
			var fe *frontend.Error
			switch {
			case errors.As(err, &fe) && fe.Key == frontend.ErrKeyAutostartFailed:
				// Saved: only starting at login did not follow.
				s.saveMsg.SetText(words(err))
				s.saveMsg.Show()
				s.cur = s.u.b.Settings()
				s.showSettings(s.cur)
				if saved != nil {
					saved()
				}
				return
			case err != nil:
				s.saveMsg.SetText(tr("app.settings.save_failed", words(err)))
				s.saveMsg.Show()
				s.cur = s.u.b.Settings()
				s.showSettings(s.cur)
				return
			}
			s.saveMsg.Hide()
			if saved != nil {
				saved()
			}
		})
	})
}

// loadIdentity reads the device's identity (the keyring may block) and
// shows it.
func (s *settingsScreen) loadIdentity() {
	s.u.background(func() {
		id := s.u.b.Identity()
		fyne.Do(func() { s.showIdentity(id) })
	})
}

func (s *settingsScreen) showIdentity(id frontend.Identity) {
	s.identity = id
	if s.keyIntro != nil {
		intro := tr("app.settings.key_intro")
		if id.Source == frontend.SourceEnrolled {
			intro = tr("app.settings.key_intro_enrolled")
		}
		s.keyIntro.SetText(intro)
	}
	if id.Problem != nil {
		s.keyProblem.SetText(words(id.Problem))
		s.keyProblem.Show()
	} else {
		s.keyProblem.Hide()
	}
	if id.PublicKey == "" {
		s.key.TextStyle = fyne.TextStyle{}
		s.key.SetText(tr("app.settings.key_none"))
		s.keySource.Hide()
		s.qr.Hide()
		s.copyKey.Hide()
		s.importConf.Importance = widget.HighImportance
		s.importConf.Refresh()
		s.generate.Show()
		s.deleteKey.Hide()
		return
	}
	s.importConf.Importance = widget.MediumImportance
	s.importConf.Refresh()
	s.deleteKey.Show()
	s.key.TextStyle = fyne.TextStyle{Monospace: true}
	s.key.SetText(id.PublicKey)
	var source string
	switch id.Source {
	case "", "generated":
		source = tr("app.settings.key_generated")
	case "keyring":
		source = tr("app.identity.key_adopted")
	case frontend.SourceEnrolled:
		source = tr("app.identity.enrolled", id.EnrolHost, longDate(s.u.now(), id.CreatedAt))
	default:
		source = tr("app.settings.key_imported", id.Source)
	}
	if id.Setup == frontend.SetupNoAddress {
		source += "\n" + tr("app.identity.no_address")
	}
	if len(id.Addresses) > 0 {
		source += "\n" + tr("app.settings.key_addresses", strings.Join(id.Addresses, ", "))
	}
	s.keySource.SetText(source)
	s.keySource.Show()
	s.generate.Hide()
	s.copyKey.Show()
	img, err := qrImage(id.PublicKey)
	if err != nil {
		s.qr.Hide()
		s.showKeyMsg(tr("app.settings.qr_failed", words(err)), true)
		return
	}
	s.qr.Image = img
	s.qr.Refresh()
	s.qr.Show()
}

func (s *settingsScreen) showKeyMsg(text string, failed bool) {
	s.keyMsg.Importance = widget.SuccessImportance
	if failed {
		s.keyMsg.Importance = widget.DangerImportance
	}
	s.keyMsg.SetText(text)
	s.keyMsg.Show()
}

func (s *settingsScreen) onCopyKey() {
	if s.identity.PublicKey == "" {
		return
	}
	s.u.app.Clipboard().SetContent(s.identity.PublicKey)
	s.showKeyMsg(tr("app.settings.key_copied"), false)
}

func (s *settingsScreen) onGenerate() {
	s.generate.Disable()
	s.u.background(func() {
		err := s.u.b.GenerateKey(false)
		id := s.u.b.Identity()
		fyne.Do(func() {
			s.generate.Enable()
			if err != nil {
				s.showKeyMsg(tr("app.settings.generate_failed", identityWords(err)), true)
			} else {
				s.showKeyMsg(tr("app.settings.generate_done"), false)
			}
			s.identityChanged(id)
		})
	})
}

// identityChanged shows id and tells the rest of the window.
func (s *settingsScreen) identityChanged(id frontend.Identity) {
	s.showIdentity(id)
	if s.onIdentity != nil {
		s.onIdentity()
	}
}

// ask shows a question; yes runs when the person confirms.
func (s *settingsScreen) ask(title, question, confirm string, danger bool, yes func()) {
	// NewConfirm sizes its wrapped text to the window.
	s.confirm = dialog.NewConfirm(title, question, func(ok bool) {
		s.confirm = nil
		if ok {
			yes()
		}
	}, s.u.win)
	s.confirm.SetConfirmText(confirm)
	s.confirm.SetDismissText(tr("app.identity.cancel"))
	if danger {
		s.confirm.SetConfirmImportance(widget.DangerImportance)
	}
	s.confirm.Show()
}

// onDelete asks, then deletes the device's identity.
func (s *settingsScreen) onDelete() {
	s.ask(tr("app.identity.delete_title"), tr("app.identity.delete_question", s.identity.PublicKey), tr("app.identity.delete_confirm"), true, func() {
		s.deleteKey.Disable()
		s.u.background(func() {
			err := s.u.b.DeleteKey()
			id := s.u.b.Identity()
			fyne.Do(func() {
				s.deleteKey.Enable()
				if err != nil {
					s.showKeyMsg(tr("app.identity.delete_failed", identityWords(err)), true)
				} else {
					s.showKeyMsg(tr("app.identity.delete_done"), false)
				}
				s.identityChanged(id)
			})
		})
	})
}

func (s *settingsScreen) onImport() {
	d := dialog.NewFileOpen(s.onImportChosen, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".conf"}))
	d.Show()
}

func (s *settingsScreen) onImportChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		s.showKeyMsg(tr("app.settings.import_open_failed", words(err)), true)
		return
	}
	if r == nil {
		return // cancelled
	}
	path := r.URI().Path()
	// The backend reads the file itself; the dialog's reader is not needed.
	r.Close()
	s.importFile(path)
}

// importFile imports a wg-quick .conf from IT in the background and says
// how it went; a file with another key than this device's asks first.
func (s *settingsScreen) importFile(path string) { s.importAs(path, false) }

func (s *settingsScreen) importAs(path string, replace bool) {
	name := filepath.Base(path)
	s.importConf.Disable()
	s.u.background(func() {
		err := s.u.b.ImportConf(path, replace)
		id := s.u.b.Identity()
		fyne.Do(func() {
			s.importConf.Enable()
			var ie *frontend.IdentityError
			switch {
			case errors.As(err, &ie) && ie.Code == frontend.IdentityErrExists && !replace:
				s.keyMsg.Hide()
				s.ask(tr("app.identity.replace_title"), tr("app.identity.replace_question", name, ie.PublicKey), tr("app.identity.replace_confirm"), true,
					func() { s.importAs(path, true) })
			case err != nil:
				s.showKeyMsg(tr("app.settings.import_failed", name, identityWords(err)), true)
			default:
				s.showKeyMsg(tr("app.settings.import_done", name), false)
			}
			s.identityChanged(id)
		})
	})
}

// identityWords is an identity operation's error as sentences: the
// backend's code in the window's language, then its details, one a line.
func identityWords(err error) string {
	var e *frontend.IdentityError
	if !errors.As(err, &e) {
		return words(err)
	}
	var text string
	switch e.Code {
	case frontend.IdentityErrExists, frontend.IdentityErrNoKeyring, frontend.IdentityErrUnreadable, frontend.IdentityErrInvalid,
		frontend.IdentityErrTooLarge, frontend.IdentityErrNoPrivateKey, frontend.IdentityErrPeers, frontend.IdentityErrZeroKey,
		frontend.IdentityErrMismatch, frontend.IdentityErrStore:
		text = tr("app.identity.err." + e.Code)
	default:
		text = tr("app.identity.err.failed")
	}
	detail := make([]string, len(e.Detail))
	for i, d := range e.Detail {
		detail[i] = words(d)
	}
	switch e.Code {
	case frontend.IdentityErrNoKeyring:
		if len(detail) > 0 {
			return strings.Join(detail, "\n") // what to do on this system, from the backend
		}
	case frontend.IdentityErrPeers, frontend.IdentityErrUnreadable:
		detail = nil // said by the sentence; the system's words are not the person's
	case frontend.IdentityErrInvalid:
		if len(detail) > 3 {
			detail = append(detail[:3:3], "…")
		}
	}
	for _, d := range detail {
		text += "\n" + d
	}
	return text
}

// qrImage is text as a QR code, one pixel a module with the standard
// four-module quiet zone. rsc.io/qr's Code.Image reports the bounds of the
// scaled code but draws the modules unscaled in its corner, so the code is
// drawn here from Code.Black.
func qrImage(text string) (image.Image, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			c := color.Gray{Y: 0xff}
			if code.Black(x-quiet, y-quiet) {
				c = color.Gray{}
			}
			img.SetGray(x, y, c)
		}
	}
	return img, nil
}

// settingWords are the translations of keys.
func settingWords(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = tr(k)
	}
	return out
}

// settingWord is the word shown for value; the first when value is unknown.
func settingWord(keys, values []string, value string) string {
	for i, v := range values {
		if v == value {
			return tr(keys[i])
		}
	}
	return tr(keys[0])
}

// settingValue is the value of the word a person picked; "" when none.
func settingValue(keys, values []string, word string) string {
	for i, k := range keys {
		if tr(k) == word {
			return values[i]
		}
	}
	return ""
}
