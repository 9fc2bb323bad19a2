package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// The Réglages check that points the person's programs' proxy setting at
// Relais during Mode urgence (userspace tunnel), disabled with "Géré par
// votre organisation" when the managed configuration locks it.

// systemProxyContent builds the check, its lock note and its help.
func (s *settingsScreen) systemProxyContent() fyne.CanvasObject {
	s.sysProxy = &widget.Check{Text: tr("app.settings.system_proxy"), OnChanged: s.onSystemProxy}
	s.sysProxyLocked = lockedNote()
	return container.NewVBox(
		container.NewHBox(s.sysProxy, s.sysProxyLocked),
		&widget.Label{Text: tr("app.settings.system_proxy.help"), Wrapping: fyne.TextWrapWord},
	)
}

func (s *settingsScreen) onSystemProxy(on bool) {
	if s.quiet || on == s.cur.SystemProxy {
		return
	}
	s.cur.SystemProxy = on
	s.save(nil)
}
