package app

// Accueil when the person's programs could not be pointed at Relais.

// refreshSystemProxy shows one line while Mode urgence is on and the
// backend could not point the programs' proxy setting at Relais (no
// desktop proxy setting found, or it could not be changed): the person
// must not believe that their mail or virtual desktop go through the
// tunnel. The links opened from Relais still do. Hidden otherwise.
func (h *home) refreshSystemProxy(on bool) {
	text := ""
	if on && h.u.b.SystemProxyProblem() != "" {
		text = tr("app.home.system_proxy.failed")
	}
	showText(h.sysProxy, text)
}
