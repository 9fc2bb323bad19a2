package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"runtime"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/godbus/dbus/v5"

	"relais/assets"
	"relais/internal/status"
)

// tray is the system tray icon: the state at a glance (a coloured dot on
// the icon and a line of words) and the menu items Mode urgence, Ouvrir,
// Quitter. It exists only where the driver has a tray (desktop.App).
type tray struct {
	u    *ui
	desk desktop.App

	state  *fyne.MenuItem
	toggle *fyne.MenuItem
	open   *fyne.MenuItem
	quit   *fyne.MenuItem
	menu   *fyne.Menu
	dot    dotKind // the dot on the icon now

	onToggle, onOpen, onQuit func()
}

func newTray(u *ui, onToggle, onOpen, onQuit func()) *tray {
	d, ok := u.app.(desktop.App)
	if !ok {
		return nil
	}
	t := &tray{u: u, desk: d, onToggle: onToggle, onOpen: onOpen, onQuit: onQuit, dot: -1}
	t.build()
	return t
}

// build makes the menu in the current language.
func (t *tray) build() {
	t.state = &fyne.MenuItem{Label: "", Disabled: true}
	t.toggle = &fyne.MenuItem{Label: tr("app.tray.urgence"), Action: t.onToggle}
	t.open = &fyne.MenuItem{Label: tr("app.tray.open"), Action: t.onOpen}
	t.quit = &fyne.MenuItem{Label: tr("app.tray.quit"), Action: t.onQuit, IsQuit: true}
	t.menu = fyne.NewMenu("Relais", t.state, fyne.NewMenuItemSeparator(), t.toggle, t.open, fyne.NewMenuItemSeparator(), t.quit)
	t.refresh()
	t.desk.SetSystemTrayMenu(t.menu)
}

// refresh shows u.snap: the state line, the toggle's words, the icon.
func (t *tray) refresh() {
	if t == nil {
		return
	}
	active := t.u.b != nil && t.u.b.Active()
	if t.u.b == nil {
		t.state.Label, t.state.Icon = tr("app.loading"), nil
	} else {
		t.state.Label = trayState(t.u.lang, t.u.snap, active)
		t.state.Icon = verdictIcon(trayVerdict(t.u.snap, active))
	}
	if active {
		t.toggle.Label = tr("app.tray.stop")
	} else {
		t.toggle.Label = tr("app.tray.urgence")
	}
	t.menu.Refresh()
	if k := dotFor(t.u.snap, active); k != t.dot {
		t.dot = k
		t.desk.SetSystemTrayIcon(trayIcon(k))
	}
}

// trayVerdict is Mode urgence's verdict as the screens show it: off when
// the backend says Mode urgence is not on; connecting while it is on but
// the snapshot shown is still the previous session's (or none yet).
func trayVerdict(s status.Snapshot, active bool) status.Verdict {
	if !active {
		return status.Verdict{Level: status.VerdictOff}
	}
	if v := status.VerdictOf(s); v.Level != status.VerdictOff {
		return v
	}
	return status.Verdict{Level: status.VerdictConnecting}
}

// trayState is the tray's state line: the verdict's sentence, as Accueil
// and the status summary word it.
func trayState(l string, s status.Snapshot, active bool) string {
	return verdictSentence(l, trayVerdict(s, active))
}

// dotKind is the colour of the state dot on the tray icon.
type dotKind int

const (
	dotNone dotKind = iota // Mode urgence off: the plain icon
	dotBusy                // connecting or checking: blue
	dotOK                  // green
	dotWarn                // degraded, or some essential apps do not answer: amber
	dotFail                // failed (the tunnel, or every essential app): red
)

func dotFor(s status.Snapshot, active bool) dotKind {
	switch trayVerdict(s, active).Level {
	case status.VerdictOff:
		return dotNone
	case status.VerdictOperational:
		return dotOK
	case status.VerdictDegraded, status.VerdictPartial, status.VerdictMaintenance:
		return dotWarn
	case status.VerdictFailed:
		return dotFail
	}
	return dotBusy
}

var dotColours = map[dotKind]color.NRGBA{
	dotBusy: {0x1e, 0x6f, 0xd9, 0xff},
	dotOK:   {0x1f, 0x9d, 0x55, 0xff},
	dotWarn: {0xe8, 0xa3, 0x17, 0xff},
	dotFail: {0xd6, 0x33, 0x2a, 0xff},
}

var (
	trayIconsMu sync.Mutex // guards trayIcons
	trayIcons   = map[dotKind]fyne.Resource{}
)

// trayIcon is the app icon with a dot of k's colour in its lower right
// corner (the state must not rest on colour alone: the menu's first line
// says it in words).
func trayIcon(k dotKind) fyne.Resource {
	trayIconsMu.Lock()
	defer trayIconsMu.Unlock()
	if r, ok := trayIcons[k]; ok {
		return r
	}
	if k == dotNone {
		trayIcons[k] = Icon()
		return trayIcons[k]
	}
	src, err := png.Decode(bytes.NewReader(assets.Icon))
	if err != nil {
		return Icon()
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	r := b.Dx() * 3 / 16
	cx, cy := b.Max.X-r-1, b.Max.Y-r-1
	for y := cy - r - 2; y <= cy+r+2; y++ {
		for x := cx - r - 2; x <= cx+r+2; x++ {
			d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			switch {
			case d <= r*r:
				img.Set(x, y, dotColours[k])
			case d <= (r+2)*(r+2):
				img.Set(x, y, color.White)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Icon()
	}
	trayIcons[k] = fyne.NewStaticResource(fmt.Sprintf("relais-tray-%d.png", k), buf.Bytes())
	return trayIcons[k]
}

// trayAskTimeout bounds the question to the session bus.
const trayAskTimeout = 2 * time.Second

// trayShown reports whether the tray icon is really on screen, so that a
// hidden window can be found again. Windows and macOS always have a tray.
// Elsewhere Fyne's tray is a StatusNotifierItem: it shows only where a
// StatusNotifier host (KDE's panel, GNOME with an extension, …) registered
// with org.kde.StatusNotifierWatcher on the session bus. Stock GNOME has
// none: a window hidden there leaves an invisible process.
func trayShown() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), trayAskTimeout)
	defer cancel()
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	var v dbus.Variant
	err = conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", dbus.FlagNoAutoStart,
			"org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered").Store(&v)
	if err != nil {
		return false
	}
	registered, _ := v.Value().(bool)
	return registered
}
