//go:build !windows

package sysproxy

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// detectTimeout bounds asking gsettings whether the GNOME schema is there.
const detectTimeout = 2 * time.Second

// Detect returns the places the person's proxy setting lives in this
// session, as getenv describes it: GNOME's GSettings when
// XDG_CURRENT_DESKTOP names GNOME or a desktop built on its settings
// (Unity, Cinnamon, Budgie), or when gsettings knows the proxy schema
// (GLib programs read it in any desktop); KDE's kioslaverc when it names
// KDE. Both may be returned; none outside a desktop session.
func Detect(getenv func(string) string) []Desktop {
	var gnome, kde bool
	for _, d := range strings.Split(strings.ToUpper(getenv("XDG_CURRENT_DESKTOP")), ":") {
		switch {
		case strings.Contains(d, "KDE"):
			kde = true
		case strings.Contains(d, "GNOME"), strings.Contains(d, "UNITY"), strings.Contains(d, "CINNAMON"), strings.Contains(d, "BUDGIE"):
			gnome = true
		}
	}
	var out []Desktop
	if _, err := exec.LookPath("gsettings"); err == nil && (gnome || gnomeSchema()) {
		_, derr := exec.LookPath("dconf")
		b := getenv("GSETTINGS_BACKEND")
		out = append(out, &GNOME{Dconf: derr == nil && (b == "" || b == "dconf")})
	}
	if kde {
		if p := kioslavercPath(getenv); p != "" {
			out = append(out, &KDE{Path: p})
		}
	}
	return out
}

// gnomeSchema reports whether gsettings has the proxy schema.
func gnomeSchema() bool {
	ctx, cancel := context.WithTimeout(context.Background(), detectTimeout)
	defer cancel()
	_, err := ExecRun(ctx, "gsettings", "list-keys", GNOMESchema)
	return err == nil
}

// kioslavercPath is $XDG_CONFIG_HOME/kioslaverc, else ~/.config/kioslaverc.
func kioslavercPath(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "kioslaverc")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".config", "kioslaverc")
	}
	return ""
}
