package app

import (
	"image/color"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/diag/bundle"
	"relais/internal/frontend"
)

// The main view of the Diagnostic tab: its layout (the export, the
// opening of a bundle, the recent log), the export of a bundle for the
// helpdesk (anonymisation level, encryption, the case code, upload) and
// where its delivery stands.

func (s *diagScreen) buildMain() fyne.CanvasObject {
	danger := func() *widget.Label {
		return &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	}
	options := make([]string, len(diagLevels))
	for i, l := range diagLevels {
		options[i] = tr(levelKeys[l][0])
	}
	s.level = &widget.RadioGroup{Options: options, Required: true, OnChanged: s.onLevel}
	s.levelHint = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}}
	s.encrypt = &widget.Check{Text: tr("app.diag.encrypt"), OnChanged: func(bool) { s.showEncryptHint() }}
	s.encryptHint = wrap()
	s.export = &widget.Button{Text: tr("app.diag.export"), Icon: theme.DocumentSaveIcon(), Importance: widget.HighImportance, OnTapped: s.onExport}
	s.exportBusy = widget.NewActivity()
	s.exportBusy.Hide()
	s.exportMsg = danger()

	s.caseCode = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText, Selectable: true}
	s.resultPath = wrap()
	s.resultFacts = wrap()
	s.resultFails = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	s.copyCode = &widget.Button{Text: tr("app.diag.copy_code"), Icon: theme.ContentCopyIcon(), OnTapped: s.onCopyCode}
	s.openFolder = &widget.Button{Text: tr("app.diag.open_folder"), Icon: theme.FolderOpenIcon(), OnTapped: s.onOpenFolder}
	s.upload = &widget.Button{Text: tr("app.diag.upload"), Icon: theme.UploadIcon(), OnTapped: s.onUpload}
	s.uploadBusy = widget.NewActivity()
	s.uploadBusy.Hide()
	s.resultMsg = wrap()
	s.uploadState = wrap()
	s.openCase = newServerPage(s.u, tr("app.diag.open_case"))
	s.result = container.NewVBox(
		widget.NewSeparator(),
		&widget.Label{Text: tr("app.diag.result.heading"), TextStyle: fyne.TextStyle{Bold: true}},
		s.caseCode,
		&widget.Label{Text: tr("app.diag.result.give_code"), Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}},
		s.resultPath,
		s.resultFacts,
		s.resultFails,
		// Two rows: one would make the column wider than half the window.
		container.NewHBox(s.copyCode, s.openFolder),
		container.NewHBox(s.upload, s.uploadBusy),
		s.resultMsg,
		s.uploadState,
		s.openCase.box,
	)
	s.result.Hide()

	s.openBundle = &widget.Button{Text: tr("app.diag.open.button"), Icon: theme.FolderOpenIcon(), OnTapped: s.onOpenBundle}
	s.chooseIdent = &widget.Button{Text: tr("app.diag.open.identity"), Icon: theme.AccountIcon(), OnTapped: s.onChooseIdentity}
	s.clearIdent = &widget.Button{Text: tr("app.diag.open.identity_clear"), Icon: theme.ContentClearIcon(), OnTapped: s.onClearIdentity}
	s.identityLabel = wrap()
	s.demoKeyLabel = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}}
	s.demoKeyLabel.Hide()
	s.openBusy = widget.NewActivity()
	s.openBusy.Hide()
	s.openMsg = danger()

	s.exportBox = container.NewVBox(
		sectionHeading(tr("app.diag.export.heading")),
		&widget.Label{Text: tr("app.diag.export.intro"), Wrapping: fyne.TextWrapWord},
		&widget.Label{Text: tr("app.diag.level.heading"), TextStyle: fyne.TextStyle{Bold: true}},
		s.level,
		s.levelHint,
		s.encrypt,
		s.encryptHint,
		container.NewHBox(s.export, s.exportBusy),
		s.exportMsg,
		s.result,
		widget.NewSeparator(),
		sectionHeading(tr("app.diag.open.heading")),
		&widget.Label{Text: tr("app.diag.open.intro"), Wrapping: fyne.TextWrapWord},
		s.demoKeyLabel,
		container.NewHBox(s.chooseIdent, s.clearIdent),
		s.identityLabel,
		container.NewHBox(s.openBundle, s.openBusy),
		s.openMsg,
	)
	s.exportScrl = container.NewVScroll(s.exportBox)

	s.logText = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true}
	s.logScroll = container.NewScroll(s.logText)
	s.logNote = wrap()
	s.logBusy = widget.NewActivity()
	s.logBusy.Hide()
	s.reload = &widget.Button{Text: tr("app.diag.log.reload"), Icon: theme.ViewRefreshIcon(), OnTapped: s.onReload}
	s.events = wrap()
	s.showEvents()
	logTop := container.NewVBox(
		sectionHeading(tr("app.diag.log.heading")),
		s.events,
		container.NewHBox(s.reload, s.logBusy),
		s.logNote,
	)
	// The raw log is the program's own, in its own words: a detail for the
	// helpdesk, folded away under "Détails", never what a person reads
	// first.
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(0, 260))
	raw := container.NewBorder(&widget.Label{Text: tr("app.diag.log.intro", logLines), Wrapping: fyne.TextWrapWord}, nil, nil, nil,
		container.NewStack(room, s.logScroll))
	s.logDetails = widget.NewAccordion(widget.NewAccordionItem(tr("app.diag.log.details"), raw))
	logPane := container.NewVScroll(container.NewVBox(logTop, s.logDetails))

	split := container.NewHSplit(s.exportScrl, logPane)
	split.Offset = 0.5
	s.level.SetSelected(tr(levelKeys[bundle.LevelStandard][0]))
	return split
}

// readOptions reads what the profile offers. Encryption is on by default
// when it can be; the person's choice stays until the profile changes
// what it offers.
func (s *diagScreen) readOptions() {
	enc, up := s.u.b.HelpdeskOptions()
	if !s.optionsRead || enc != s.canEncrypt {
		s.encrypt.SetChecked(enc)
	}
	s.canEncrypt, s.canUpload, s.optionsRead = enc, up, true
	if enc {
		s.encrypt.Enable()
	} else {
		s.encrypt.Disable()
	}
	s.showEncryptHint()
	// In the demo, its service desk's key is named, and chosen once.
	key := s.u.b.DemoHelpdeskKey()
	if key != "" && !s.demoKeyTaken {
		s.demoKeyTaken = true
		if s.identityPath == "" {
			s.identityPath = key
		}
	}
	demo := ""
	if key != "" {
		demo = tr("app.diag.open.demo_key", key)
	}
	showText(s.demoKeyLabel, demo)
}

// showEncryptHint says who will be able to open the file: the service
// desk only when encrypted, anyone who receives it otherwise.
func (s *diagScreen) showEncryptHint() {
	switch {
	case !s.canEncrypt:
		s.encryptHint.SetText(tr("app.diag.encrypt_unavailable"))
	case s.encrypt.Checked:
		s.encryptHint.SetText(tr("app.diag.encrypt_hint"))
	default:
		s.encryptHint.SetText(tr("app.diag.encrypt_hint_off"))
	}
	relayout(s.exportBox, s.exportScrl) // the sentence may take another line
}

func (s *diagScreen) refreshMain() {
	setEnabled(s.export, !s.exporting)
	spin(s.exportBusy, s.exporting)
	showText(s.exportMsg, s.exportErr)
	s.refreshResult()
	s.refreshLog()
	s.refreshOpen()
	relayout(s.exportBox, s.exportScrl)
}

// selectedLevel is the level the radio group shows.
func (s *diagScreen) selectedLevel() bundle.Level {
	for i, o := range s.level.Options {
		if o == s.level.Selected {
			return diagLevels[i]
		}
	}
	return bundle.LevelStandard
}

func (s *diagScreen) onLevel(string) {
	s.levelHint.SetText(tr(levelKeys[s.selectedLevel()][1]))
}

// onExport makes a bundle in the default folder, at the level chosen,
// encrypted when asked and possible.
func (s *diagScreen) onExport() {
	if s.exporting {
		return
	}
	s.exporting, s.exportErr = true, ""
	s.refreshMain()
	b, level, encrypt := s.u.b, string(s.selectedLevel()), s.canEncrypt && s.encrypt.Checked
	s.u.background(func() {
		ex, err := b.ExportDiagnostics("", level, encrypt)
		fyne.Do(func() {
			s.exporting = false
			if err != nil {
				s.exportErr = tr("app.diag.export_failed", words(err))
			} else {
				s.last = &ex
				s.uploaded, s.uploadErr, s.deliveryOK, s.delivAt = false, "", false, time.Time{}
				showText(s.resultMsg, "")
			}
			s.refreshMain()
			if err == nil {
				s.showCaseCode(ex)
			}
		})
	})
}

// refreshResult shows the bundle just made: its case code first.
func (s *diagScreen) refreshResult() {
	ex := s.last
	if ex == nil {
		s.result.Hide()
		return
	}
	s.result.Show()
	s.caseCode.SetText(ex.CaseCode)
	s.resultPath.SetText(tr("app.diag.result.path", ex.Path))
	facts := "app.diag.result.plain"
	if ex.Encrypted {
		facts = "app.diag.result.encrypted"
	}
	s.resultFacts.SetText(tr(facts, sizeWords(s.u.lang, ex.Size)))
	fails := ""
	if len(ex.Failures) > 0 {
		fails = tr("app.diag.result.failures", strings.Join(ex.Failures, ", "))
	}
	showText(s.resultFails, fails)
	setVisible(s.upload, s.canUpload && !s.uploaded)
	setEnabled(s.upload, !s.uploading)
	spin(s.uploadBusy, s.uploading)
	state := ""
	switch {
	case s.uploadErr != "":
		state = tr("app.diag.upload_failed", s.uploadErr)
		s.uploadState.Importance = widget.DangerImportance
	case s.uploaded && !s.deliveryOK:
		state = tr("app.diag.delivery.loading")
		s.uploadState.Importance = widget.MediumImportance
	case s.uploaded:
		state = diagDeliveryWords(s.u.now(), s.delivery)
		s.uploadState.Importance = deliveryImportance(s.delivery.State)
	}
	showText(s.uploadState, state)
	s.uploadState.Refresh()
	caseURL := ""
	if s.uploaded && s.deliveryOK && s.delivery.State == frontend.DeliveryDelivered {
		// Once the server has the bundle, its inbox shows the case.
		caseURL = s.u.b.CaseURL(ex.CaseCode)
	}
	s.openCase.set(caseURL, tr("app.diag.open_case_hint"), frontend.RoleHelpdesk)
}

// showCaseCode shows the case code of the bundle just made in a dialog,
// big, with what to do with it: where the eye is, whatever the length of
// the screen below (the result stays there too).
func (s *diagScreen) showCaseCode(ex frontend.DiagExport) {
	if s.done != nil {
		s.done.Hide()
	}
	code := &widget.Label{Text: ex.CaseCode, TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText,
		Selectable: true, Alignment: fyne.TextAlignCenter}
	facts := "app.diag.result.plain"
	if ex.Encrypted {
		facts = "app.diag.result.encrypted"
	}
	copied := &widget.Label{Text: tr("app.diag.code_copied"), Importance: widget.SuccessImportance, Alignment: fyne.TextAlignCenter}
	copied.Hide()
	copyBtn := &widget.Button{Text: tr("app.diag.copy_code"), Icon: theme.ContentCopyIcon(), Importance: widget.HighImportance}
	copyBtn.OnTapped = func() {
		s.u.app.Clipboard().SetContent(ex.CaseCode)
		copied.Show()
	}
	body := container.NewVBox(
		&widget.Label{Text: tr("app.diag.result.give_code"), TextStyle: fyne.TextStyle{Bold: true}, Alignment: fyne.TextAlignCenter},
		code,
		&widget.Label{Text: tr(facts, sizeWords(s.u.lang, ex.Size)), Alignment: fyne.TextAlignCenter},
		container.NewCenter(copyBtn),
		copied,
	)
	d := dialog.NewCustom(tr("app.diag.done.title"), tr("app.diag.done.close"), body, s.u.win)
	s.done = d
	d.Show()
}

func (s *diagScreen) onCopyCode() {
	if s.last == nil {
		return
	}
	s.u.app.Clipboard().SetContent(s.last.CaseCode)
	s.resultMsg.Importance = widget.SuccessImportance
	showText(s.resultMsg, tr("app.diag.code_copied"))
	relayout(s.exportBox, s.exportScrl)
}

// onOpenFolder shows the folder that holds the bundle in the desktop's
// file manager.
func (s *diagScreen) onOpenFolder() {
	if s.last == nil {
		return
	}
	target, err := url.Parse(storage.NewFileURI(filepath.Dir(s.last.Path)).String())
	if err == nil {
		err = s.u.openURL(target)
	}
	if err != nil {
		s.resultMsg.Importance = widget.DangerImportance
		showText(s.resultMsg, tr("app.diag.open_folder_failed", words(err)))
	} else {
		showText(s.resultMsg, "")
	}
	relayout(s.exportBox, s.exportScrl)
}

// onUpload queues the bundle for the profile's upload address; the
// outbox delivers it, and its state is read on refresh.
func (s *diagScreen) onUpload() {
	if s.last == nil || s.uploading || s.uploaded {
		return
	}
	s.uploading, s.uploadErr = true, ""
	s.refreshMain()
	b, ex := s.u.b, s.last
	s.u.background(func() {
		err := b.UploadBundle(ex.Path)
		fyne.Do(func() {
			s.uploading = false
			if s.last != ex {
				s.refreshMain()
				return
			}
			if err != nil {
				s.uploadErr = words(err)
				s.refreshMain()
				return
			}
			s.uploaded = true
			s.refreshMain()
			s.loadDelivery()
		})
	})
}

// loadDelivery reads where the upload of the last bundle stands (its key
// is the case code).
func (s *diagScreen) loadDelivery() {
	if s.delivBusy || s.last == nil || !s.uploaded {
		return
	}
	s.delivBusy = true
	b, ex := s.u.b, s.last
	s.u.background(func() {
		d := b.Delivery(ex.CaseCode)
		fyne.Do(func() {
			s.delivBusy, s.delivAt = false, time.Now()
			if s.last != ex {
				return
			}
			s.delivery, s.deliveryOK = d, true
			s.refreshMain()
		})
	})
}
