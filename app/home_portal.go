package app

// Accueil behind a captive portal.

import (
	"net/url"

	"relais/internal/profile"
	"relais/internal/status"
)

// refreshPortal offers "Ouvrir la page de connexion" while Mode urgence
// finds a captive portal: the desktop's own browser (outside the tunnel)
// opens the captive probe's plain-http URL, which the portal intercepts to
// show its login page. The engine's next round of checks sees the probe
// pass once the person is logged in, and Mode urgence goes on by itself.
func (h *home) refreshPortal(on bool) {
	target := h.portalURL(on)
	if target == nil {
		h.portalGo.Hide()
		return
	}
	h.portalGo.SetText(tr("app.home.portal.open"))
	h.portalGo.OnTapped = func() {
		if err := h.u.openURL(target); err != nil {
			h.startErr = tr("app.home.portal.open_failed", words(err))
			h.refresh()
		}
	}
	h.portalGo.Show()
}

// portalURL is the captive probe's URL while Mode urgence is on and the
// captive built-in reports a portal; nil otherwise.
func (h *home) portalURL(on bool) *url.URL {
	if !on {
		return nil
	}
	rep := currentSnapshot(h.u).Report
	if rep == nil {
		return nil
	}
	c, ok := rep.Builtins[profile.BuiltinCaptive]
	if !ok || c.Reason == nil || c.Reason.Code != status.CodeCaptivePortal {
		return nil
	}
	u, err := url.Parse(c.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	return u
}
