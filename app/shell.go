package app

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/status"
)

// shell is the main window: the tabs, the tray, the notifications, and the
// bridge from the engine. Everything here runs on the UI goroutine but
// the bridge's event method.
type shell struct {
	u *ui
	// detected is the locale's language, read once at start ("" when the
	// locale names neither French nor English).
	detected string

	tabs     *container.AppTabs
	home     *home
	apps     *appsScreen
	drills   *drillsScreen
	help     *helpScreen
	diag     *diagScreen
	settings *settingsScreen
	screens  []screen

	watch *watcher
	tray  *tray
	// trayShown reports whether the tray icon is really on screen
	// (trayShown in tray.go; tests replace it).
	trayShown func() bool
	// closeAsk is the question asked when the window closes with Mode
	// urgence on and no tray to stay in; nil when none is open.
	closeAsk dialog.Dialog
	// quitting is set once Quit was asked: the window may then close.
	quitting bool
	// unsubscribe stops the engine events.
	unsubscribe func()
	bridge      *bridge
}

func newShell(u *ui, detected string) *shell {
	s := &shell{u: u, detected: detected, watch: newWatcher(u.app.Preferences()), trayShown: trayShown}
	return s
}

// start builds the window's content, subscribes to the engine and sets the
// tray and the shortcuts up.
func (s *shell) start() {
	s.u.prof = s.u.b.Profile()
	s.u.snap = s.u.b.Snapshot()
	s.u.win.SetContent(s.build())
	s.u.win.SetCloseIntercept(s.onClose)
	s.bridge = newBridge(s.apply)
	s.unsubscribe = s.u.b.Subscribe(s.bridge.event)
	if s.tray == nil {
		s.tray = newTray(s.u, s.onTrayToggle, s.onShow, s.onQuit)
	}
	s.tray.refresh()
	s.addShortcuts()
	s.announceDrills()
	s.reportLayout()
}

// reportLayout tells the real-window test (RELAIS_TEST_LAYOUT=1) where
// the Mode urgence button is, in window pixels, so that it can click it
// with the mouse (xdotool) as a person would.
func (s *shell) reportLayout() {
	if os.Getenv("RELAIS_TEST_LAYOUT") != "1" {
		return
	}
	time.AfterFunc(time.Second, func() {
		fyne.Do(func() {
			btn := s.home.urgence
			pos := s.u.app.Driver().AbsolutePositionForObject(btn)
			size, scale := btn.Size(), s.u.win.Canvas().Scale()
			fmt.Fprintf(os.Stderr, "relais-test-layout urgence %d %d %d %d\n",
				int(pos.X*scale), int(pos.Y*scale), int(size.Width*scale), int(size.Height*scale))
		})
	})
}

// build makes the tabs in the current language.
func (s *shell) build() fyne.CanvasObject {
	s.home = newHome(s.u)
	s.apps = newApps(s.u)
	s.drills = newDrills(s.u)
	s.help = newHelp(s.u)
	s.diag = newDiag(s.u)
	s.settings = newSettings(s.u, s.onLanguage)
	s.screens = []screen{s.home, s.apps, s.drills, s.help, s.diag, s.settings}
	drillsTab := container.NewTabItemWithIcon(tr("app.drills.tab"), theme.DocumentIcon(), s.drills.content())
	s.home.onOpenDrills = func() { s.tabs.Select(drillsTab) }
	diagTab := container.NewTabItemWithIcon(tr("app.diag.tab"), theme.ComputerIcon(), s.diag.content())
	settingsTab := container.NewTabItemWithIcon(tr("app.tab.settings"), theme.SettingsIcon(), s.settings.content())
	s.home.onOpenSettings = func() { s.tabs.Select(settingsTab) }
	s.settings.onIdentity = s.home.identityChanged
	s.home.onEnrolled = s.settings.loadIdentity
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(tr("app.tab.home"), theme.HomeIcon(), s.home.content()),
		container.NewTabItemWithIcon(tr("app.tab.apps"), theme.ListIcon(), s.apps.content()),
		drillsTab,
		container.NewTabItemWithIcon(tr("app.tab.help"), theme.HelpIcon(), s.help.content()),
		diagTab,
		settingsTab,
	)
	// The log is read when the tab is shown, not only with engine events.
	s.tabs.OnSelected = func(it *container.TabItem) {
		if it == diagTab {
			s.diag.onShown()
		}
	}
	s.refresh()
	return s.tabs
}

func (s *shell) refresh() {
	for _, sc := range s.screens {
		sc.refresh()
	}
}

// apply shows a new engine snapshot: screens, tray, notifications.
func (s *shell) apply(snap status.Snapshot) {
	s.u.snap = snap
	s.u.prof = s.u.b.Profile()
	for _, n := range s.watch.snapshot(s.u.lang, snap) {
		s.u.notify(n.title, n.body)
	}
	s.refresh()
	s.tray.refresh()
}

// announceDrills notifies drill windows that opened; called at start and
// every minute.
func (s *shell) announceDrills() {
	for _, n := range s.watch.drills(s.u.lang, s.u.prof.Profile, s.u.now()) {
		s.u.notify(n.title, n.body)
	}
	s.home.refresh() // the next drill line moves with time
}

// onLanguage applies a new language setting ("auto", "fr", "en"): the
// window is rebuilt in it, on the same tab.
func (s *shell) onLanguage(setting string) {
	l := s.language(setting)
	if l == s.u.lang {
		return
	}
	s.u.lang = l
	useLanguage(l)
	s.u.b.SetLanguage(l)
	sel := s.tabs.SelectedIndex()
	s.u.win.SetContent(s.build())
	s.tabs.SelectIndex(sel)
	if s.tray != nil {
		s.tray.build()
	}
}

// language is the language to speak for a setting: the setting, else the
// locale, else the profile's default, else French.
func (s *shell) language(setting string) string {
	if setting == frontend.LanguageAuto {
		setting = ""
	}
	def := ""
	if p := s.u.prof.Profile; p != nil {
		def = p.DefaultLanguage
	}
	return i18n.Choose(setting, s.detected, def)
}

// detach stops the engine's events reaching the screens: the window loop
// has ended.
func (s *shell) detach() {
	if s.unsubscribe != nil {
		s.unsubscribe()
	}
	if s.bridge != nil {
		s.bridge.stop()
	}
}

// onClose: closing the window keeps Relais in the tray while Mode urgence
// is on (the tunnel stays up), only where the tray is really on screen;
// without one (stock GNOME) a hidden window would leave an invisible
// process holding the tunnel, so the person chooses: stop Mode urgence and
// quit, or keep the window. With Mode urgence off it quits.
func (s *shell) onClose() {
	if s.quitting || s.tray == nil || !s.u.b.Active() {
		s.onQuit()
		return
	}
	s.u.background(func() {
		shown := s.trayShown()
		runDo(func() {
			if shown {
				s.u.win.Hide()
				return
			}
			s.askClose()
		})
	})
}

// askClose asks whether to stop Mode urgence and quit, or keep the window.
func (s *shell) askClose() {
	if s.quitting || s.closeAsk != nil {
		return
	}
	body := &widget.Label{Text: tr("app.close.body"), Wrapping: fyne.TextWrapWord}
	d := dialog.NewCustomConfirm(tr("app.close.title"), tr("app.close.quit"), tr("app.close.keep"), body, func(quit bool) {
		s.closeAsk = nil
		if quit {
			s.onQuit()
		}
	}, s.u.win)
	d.Resize(fyne.NewSize(460, 0))
	s.closeAsk = d
	s.onShow()
	d.Show()
}

func (s *shell) onShow() {
	s.u.win.Show()
	s.u.win.RequestFocus()
}

func (s *shell) onTrayToggle() {
	if s.u.b.Active() {
		s.home.onStop()
		return
	}
	s.onShow()
	s.home.onUrgence()
}

// onQuit leaves Mode urgence (the tunnel goes down, the records are
// cleared) off the UI goroutine, then quits.
func (s *shell) onQuit() {
	if s.quitting {
		return
	}
	s.quitting = true
	s.u.win.Hide()
	s.u.background(func() {
		s.u.b.Close()
		fyne.Do(s.u.app.Quit)
	})
}

// addShortcuts: Ctrl+U (Cmd+U) is Mode urgence, Ctrl+1…6 choose a tab, F5
// checks again.
func (s *shell) addShortcuts() {
	c := s.u.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyU, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if !s.u.b.Active() {
			s.home.onUrgence()
		}
	})
	for i, k := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6} {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
			s.tabs.SelectIndex(i)
		})
	}
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyF5 && s.u.b.Active() {
			s.u.b.Recheck()
		}
	})
}

// loading is the window's content while the backend opens; stop ends its
// animation (an animation left running redraws the window 60 times a
// second for nothing).
func loading() (content fyne.CanvasObject, stop func()) {
	a := widget.NewActivity()
	a.Start()
	return container.NewCenter(container.NewVBox(
		&widget.Label{Text: tr("app.title"), TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Alignment: fyne.TextAlignCenter},
		a,
		&widget.Label{Text: tr("app.loading"), Alignment: fyne.TextAlignCenter},
	)), a.Stop
}

// openURL opens tel:, mailto: and web links with the desktop's handler.
func openURL(a fyne.App) func(*url.URL) error {
	return func(u *url.URL) error { return a.OpenURL(u) }
}

// everyMinute calls f on the UI goroutine every minute until stop is
// closed.
func everyMinute(stop <-chan struct{}, f func()) {
	t := time.NewTicker(time.Minute)
	go func() {
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fyne.Do(f)
			}
		}
	}()
}
