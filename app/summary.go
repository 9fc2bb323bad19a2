package app

import (
	"strings"
	"time"

	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/status"
	"relais/internal/version"
)

// statusSummary is the short plain-text status a person pastes into a chat
// or reads over the phone to the helpdesk, in language l: the app's
// version, the profile, the tunnel, the phase of Mode urgence and each app
// that is not ok with its reason. It is the same for the same inputs (now
// is given, apps keep the report's order) and never holds a key.
func statusSummary(l string, info version.Info, prof frontend.ProfileState, s status.Snapshot, now time.Time) string {
	t := func(key string, args ...any) string { return i18n.T(l, key, args...) }
	var lines []string
	at := now.Format("2006-01-02 15:04:05")
	if info.Commit != "" {
		lines = append(lines, t("app.summary.header", info.Version, info.Commit, at))
	} else {
		lines = append(lines, t("app.summary.header_no_commit", info.Version, at))
	}

	switch sig := summaryWord(l, "app.summary.signature.", prof.Signature); {
	case prof.Profile == nil && prof.Serial == 0:
		lines = append(lines, t("app.summary.profile_none"))
	case prof.Expired:
		lines = append(lines, t("app.summary.profile_expired", prof.Serial, sig))
	default:
		lines = append(lines, t("app.summary.profile", prof.Serial, sig))
	}

	tun := s.Tunnel
	mode := summaryWord(l, "app.summary.mode.", string(tun.Mode))
	switch age := tun.HandshakeAge(now); {
	case tun.Up && age >= 0:
		lines = append(lines, t("app.summary.tunnel_up", mode, int(age.Seconds())))
	case tun.Up:
		lines = append(lines, t("app.summary.tunnel_up_no_handshake", mode))
	case s.TunnelFailure() != "":
		lines = append(lines, t("app.summary.tunnel_failed", t(tunnelCauseKey(s))))
	default:
		lines = append(lines, t("app.summary.tunnel_down"))
	}

	// The verdict, in the words Accueil, the tray and the CLI use.
	lines = append(lines, verdictSentence(l, status.VerdictOf(s)))

	if s.Report == nil {
		lines = append(lines, t("app.summary.not_checked"))
		return strings.Join(lines, "\n")
	}
	for i := range s.Report.Apps {
		a := &s.Report.Apps[i]
		if a.State != status.StateFailed && a.State != status.StateBlocked && a.State != status.StateDegraded && a.State != status.StateMaintenance {
			continue
		}
		state := summaryWord(l, "app.summary.state.", string(a.State))
		if r := appReason(a); r != nil && a.State != status.StateMaintenance { // planned: no failure's reason
			lines = append(lines, t("app.summary.app_reason", a.Name.In(l), state, r.Text.In(l)))
		} else {
			lines = append(lines, t("app.summary.app", a.Name.In(l), state))
		}
	}
	return strings.Join(lines, "\n")
}

// summaryWord is the word for value v under the key prefix, or v itself
// when the catalogue has no such word (a state or mode newer than the
// translations).
func summaryWord(l, prefix, v string) string {
	key := prefix + v
	if w := i18n.T(l, key); w != key {
		return w
	}
	return v
}

// appReason is why an app is not ok: the reason of its first check in the
// app's state, else of its first check with a reason; nil when none says.
func appReason(a *status.AppResult) *status.Reason {
	var first *status.Reason
	for i := range a.Checks {
		c := &a.Checks[i]
		if c.Reason == nil {
			continue
		}
		if c.State == a.State {
			return c.Reason
		}
		if first == nil {
			first = c.Reason
		}
	}
	return first
}
