package app

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/version"
)

// OpenBackend opens the backend the app drives, with errors in lang; main
// passes backend.Open. It may take a moment (the demo office starts): the
// window is already up meanwhile.
type OpenBackend func(lang string) (frontend.Backend, error)

// Run opens the main window and blocks until the app quits. It returns an
// exit code: 0, or 2 when no window can open here (no display, no OpenGL),
// after saying so in one sentence that names the commands that still work.
// One app per user: a second launch brings the first one's window forward
// and returns 0.
func Run(open OpenBackend, claim frontend.Claim) (code int) {
	detected := i18n.Detect(os.Getenv)
	l := chooseLanguage("", "")
	if msg := noDisplay(os.Getenv, runtime.GOOS); msg != "" {
		fmt.Fprintln(os.Stderr, i18n.T(l, "app.no_window", msg))
		return 2
	}
	inst, code, done := single(l, claim)
	if done {
		return code
	}
	if inst != nil {
		defer inst.Close()
	}
	// GLFW reports a display or OpenGL it cannot use by panicking on this
	// (the main) goroutine, before the window is up; a person should read
	// a sentence, not a stack. A panic once the app runs is a bug: Mode
	// urgence still ends cleanly (tunnel down, records cleared) and the
	// stack is printed for the report.
	var (
		started atomic.Bool
		u       *ui
		sh      *shell // set on the UI goroutine once the backend is open
	)
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if !started.Load() {
			fmt.Fprintln(os.Stderr, i18n.T(l, "app.no_window", fmt.Sprint(v)))
			code = 2
			return
		}
		if sh != nil {
			sh.detach()
		}
		if u != nil && u.b != nil {
			u.b.Close()
		}
		fmt.Fprintf(os.Stderr, "relais: %v\n%s", v, debug.Stack())
		code = 3
	}()
	detachOwnConsole()
	a := fyneapp.NewWithID(ID)
	a.Lifecycle().SetOnStarted(func() { started.Store(true) })
	a.SetIcon(Icon())
	w := a.NewWindow(lang.L("app.title"))
	busy, stopBusy := loading()
	w.SetContent(busy)
	w.Resize(fyne.NewSize(800, 600))
	u = &ui{app: a, win: w, lang: l, info: version.Get(), now: time.Now,
		background: func(f func()) { go f() },
		notify:     func(title, body string) { a.SendNotification(fyne.NewNotification(title, body)) },
		openURL:    openURL(a),
	}
	// Another launch of the app brings this window forward, until the
	// window loop has ended.
	var looping atomic.Bool
	looping.Store(true)
	if inst != nil {
		inst.Serve(func() {
			if looping.Load() {
				fyne.Do(func() { w.Show(); w.RequestFocus() })
			}
		})
	}
	stop := make(chan struct{})
	// The tray is set before the window loop starts: Fyne starts the tray
	// only then (one set later is never started, and its teardown at quit
	// dereferences a nil D-Bus connection).
	tray := newTray(u,
		func() {
			if sh != nil {
				sh.onTrayToggle()
			}
		},
		func() { w.Show(); w.RequestFocus() },
		func() {
			if sh != nil {
				sh.onQuit()
				return
			}
			a.Quit()
		})
	// The backend opens (the demo office starts) while the window maps.
	go func() {
		b, err := open(l)
		fyne.Do(func() {
			stopBusy()
			if err != nil {
				w.SetContent(openFailed(err))
				return
			}
			u.b = b
			sh = newShell(u, detected)
			sh.tray = tray
			u.prof = b.Profile()
			if l2 := sh.language(b.Settings().Language); l2 != u.lang {
				u.lang = l2
				useLanguage(l2)
			}
			b.SetLanguage(u.lang)
			sh.start()
			showStoreRecovered(b, w)
			everyMinute(stop, sh.announceDrills)
		})
	}()
	// Quitter, or SIGINT/SIGTERM (Fyne's driver quits on them): the window
	// is gone; Mode urgence ends here, tunnel down and records cleared,
	// before the process does. Close waits for a Close already under way.
	w.ShowAndRun()
	looping.Store(false)
	close(stop)
	if sh != nil {
		sh.detach()
	}
	if u.b != nil {
		u.b.Close()
	}
	return 0
}

// storeRecoverer is a backend that may have found the local database
// damaged and started a fresh one (backend.Local does).
type storeRecoverer interface{ StoreRecovered() error }

// showStoreRecovered tells the person, once, that the local database was
// found damaged and replaced: what was kept aside and that the device's key
// is untouched. It returns whether it said so.
func showStoreRecovered(b frontend.Backend, w fyne.Window) bool {
	r, ok := b.(storeRecoverer)
	if !ok {
		return false
	}
	rec := r.StoreRecovered()
	if rec == nil {
		return false
	}
	msg := words(rec)
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(lang.L("app.store.recovered_title"), lang.L("app.store.recovered_ok"), text, w)
	d.Resize(fyne.NewSize(520, 220))
	d.Show()
	return true
}

// openFailed is the window's content when the backend could not open: the
// reason, and the commands that still work.
func openFailed(err error) fyne.CanvasObject {
	return container.NewCenter(container.NewVBox(
		widget.NewIcon(theme.ErrorIcon()),
		&widget.Label{Text: words(err), Wrapping: fyne.TextWrapWord, Alignment: fyne.TextAlignCenter},
		&widget.Label{Text: tr("app.open_failed"), Wrapping: fyne.TextWrapWord, Alignment: fyne.TextAlignCenter},
	))
}

// single makes this process the one app of the user, or hands over to the
// one running, whose window comes forward: done is then true, with the
// exit code (0 once handed over, 2 when the running one does not answer).
func single(l string, claim frontend.Claim) (inst frontend.Single, code int, done bool) {
	if claim == nil {
		return nil, 0, false
	}
	inst, err := claim()
	var fe *frontend.Error
	switch {
	case err == nil:
		return inst, 0, false
	case errors.As(err, &fe) && fe.Key == frontend.ErrKeyHandedOver:
		fmt.Fprintln(os.Stderr, i18n.T(l, fe.Key))
		return nil, 0, true
	case errors.As(err, &fe):
		fmt.Fprintln(os.Stderr, i18n.T(l, fe.Key, fe.Args...))
		return nil, 2, true
	}
	return nil, 0, false
}
