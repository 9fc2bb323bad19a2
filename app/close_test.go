package app

import (
	"testing"

	"fyne.io/fyne/v2"
)

// trayApp is Fyne's test app with a tray (desktop.App), as the desktop
// driver has: the shell then builds its tray menu.
type trayApp struct{ fyne.App }

func (trayApp) SetSystemTrayMenu(*fyne.Menu)    {}
func (trayApp) SetSystemTrayIcon(fyne.Resource) {}
func (trayApp) SetSystemTrayWindow(fyne.Window) {}

// Closing the window with Mode urgence on: where no tray is on screen
// (stock GNOME: no StatusNotifier host), hiding the window would leave an
// invisible process holding the tunnel, so the window stays and asks;
// "Garder la fenêtre" keeps everything as it was, "Arrêter et quitter"
// ends Mode urgence. Where the tray is on screen, the window hides and
// Mode urgence stays on.
func TestCloseWithModeUrgenceOn(t *testing.T) {
	for _, shown := range []bool{false, true} {
		b := newFakeBackend(t)
		tu := newTestUI(t, b, "fr")
		tu.app = trayApp{tu.app}
		s := newShell(tu.ui, "fr")
		s.trayShown = func() bool { return shown }
		s.start()
		if s.tray == nil {
			t.Fatal("no tray on a desktop app")
		}
		tu.win.Show()
		s.home.onUrgence()
		if !b.Active() {
			t.Fatal("Mode urgence did not start")
		}
		s.onClose()
		if shown {
			if s.closeAsk != nil || s.quitting || !b.Active() {
				t.Fatalf("tray shown: asked %v, quitting %v, active %v; want the window hidden, Mode urgence on", s.closeAsk != nil, s.quitting, b.Active())
			}
			continue
		}
		if s.closeAsk == nil || s.quitting || !b.Active() {
			t.Fatalf("no tray: asked %v, quitting %v, active %v; want a question, Mode urgence still on", s.closeAsk != nil, s.quitting, b.Active())
		}
		for _, want := range []string{"Mode urgence est activé", "Arrêter et quitter", "Garder la fenêtre"} {
			if !hasText(tu.win.Canvas().Overlays().Top(), want) {
				t.Errorf("the question does not say %q: %q", want, visibleTexts(tu.win.Canvas().Overlays().Top()))
			}
		}
		tap(t, tu.win.Canvas().Overlays().Top(), "Garder la fenêtre")
		if s.closeAsk != nil || s.quitting || !b.Active() {
			t.Fatalf("kept: asked %v, quitting %v, active %v", s.closeAsk != nil, s.quitting, b.Active())
		}
		s.onClose()
		tap(t, tu.win.Canvas().Overlays().Top(), "Arrêter et quitter")
		if !s.quitting {
			t.Fatal("Arrêter et quitter did not quit")
		}
	}
}
