package app

import (
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/desk"
	"relais/internal/engine"
	"relais/internal/profile"
	"relais/internal/tunnel"
	"relais/internal/version"
)

// failedTunnelSnapshot: the tunnel could not come up; the directory failed
// for it and the mail is blocked behind the directory.
func failedTunnelSnapshot() engine.Snapshot {
	blocked := checkResult("messagerie", "messagerie-web", checks.StateBlocked, checks.CodeBlocked)
	blocked.Reason.Text = profile.Text{FR: "Messagerie n'est pas vérifiée : elle dépend de Annuaire, qui ne fonctionne pas.",
		EN: "Email was not checked: it depends on Directory, which is not working."}
	down := checkResult("annuaire", "annuaire-ldap", checks.StateFailed, checks.CodeTunnelDown)
	down.Reason.Text = profile.Text{FR: "Le tunnel n'est pas ouvert.", EN: "The tunnel is not up."}
	return engine.Snapshot{
		Phase:       engine.PhaseFailed,
		Started:     testNow.Add(-time.Minute),
		Tunnel:      tunnel.Status{Mode: tunnel.ModeSystem},
		TunnelError: "tunnel: helper: no handshake within 30s",
		Report: &checks.Report{Apps: []checks.AppResult{
			{ID: "annuaire", Name: profile.Text{FR: "Annuaire", EN: "Directory"}, Criticality: "essential", State: checks.StateFailed,
				Checks: []checks.CheckResult{down}},
			{ID: "messagerie", Name: profile.Text{FR: "Messagerie", EN: "Email"}, Criticality: "essential", State: checks.StateBlocked,
				BlockedBy: []string{"annuaire"}, Checks: []checks.CheckResult{blocked}},
			{ID: "site-public", Name: profile.Text{FR: "Site public", EN: "Public website"}, Criticality: "optional", State: checks.StateOK,
				Checks: []checks.CheckResult{checkResult("site-public", "site-public-web", checks.StateOK, "")}},
		}},
	}
}

func TestStatusSummary(t *testing.T) {
	b := newFakeBackend(t)
	p := b.prof.Profile
	info := version.Info{Version: "1.2.3", Commit: "abc1234"}
	valid := desk.ProfileState{Profile: p, Serial: 7, Signature: "valid"}
	expired := desk.ProfileState{Profile: p, Serial: 7, Signature: "not_checked", Expired: true}

	allOK := sampleSnapshot(p)
	allOK.Phase = engine.PhaseOperational
	for i := range allOK.Report.Apps {
		allOK.Report.Apps[i].State = checks.StateOK
	}
	noHandshake := allOK
	noHandshake.Tunnel.LastHandshake = time.Time{}

	tests := []struct {
		name string
		lang string
		info version.Info
		prof desk.ProfileState
		snap engine.Snapshot
		want string
	}{
		{"sample fr", "fr", info, valid, sampleSnapshot(p), "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature valide\n" +
			"Tunnel : ouvert en mode userspace, dernière poignée de main il y a 2 s\n" +
			"Mode urgence : en échec\n" +
			"- Messagerie (en panne) : Le serveur de messagerie a refusé la connexion. [refused]"},
		{"sample en", "en", info, valid, sampleSnapshot(p), "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, valid signature\n" +
			"Tunnel: up in userspace mode, last handshake 2 s ago\n" +
			"Mode urgence: failed\n" +
			"- Email (failed): The messagerie server refused the connection. [refused]"},
		{"failed tunnel fr", "fr", info, expired, failedTunnelSnapshot(), "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature non vérifiée, expiré\n" +
			"Tunnel : fermé, échec de l'ouverture : tunnel: helper: no handshake within 30s\n" +
			"Mode urgence : en échec\n" +
			"- Annuaire (en panne) : Le tunnel n'est pas ouvert. [tunnel_down]\n" +
			"- Messagerie (bloquée) : Messagerie n'est pas vérifiée : elle dépend de Annuaire, qui ne fonctionne pas. [blocked]"},
		{"failed tunnel en", "en", info, expired, failedTunnelSnapshot(), "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, signature not checked, expired\n" +
			"Tunnel: down, failed to come up: tunnel: helper: no handshake within 30s\n" +
			"Mode urgence: failed\n" +
			"- Directory (failed): The tunnel is not up. [tunnel_down]\n" +
			"- Email (blocked): Email was not checked: it depends on Directory, which is not working. [blocked]"},
		{"idle fr", "fr", version.Info{Version: "0.1.0-dev"}, desk.ProfileState{}, engine.Snapshot{Phase: engine.PhaseIdle}, "" +
			"Relais 0.1.0-dev, état au 2026-11-22 14:30:00\n" +
			"Profil : aucun\n" +
			"Tunnel : fermé\n" +
			"Mode urgence : à l'arrêt\n" +
			"Applications : pas encore vérifiées."},
		{"idle en", "en", version.Info{Version: "0.1.0-dev"}, desk.ProfileState{}, engine.Snapshot{Phase: engine.PhaseIdle}, "" +
			"Relais 0.1.0-dev, status at 2026-11-22 14:30:00\n" +
			"Profile: none\n" +
			"Tunnel: down\n" +
			"Mode urgence: off\n" +
			"Applications: not checked yet."},
		{"all ok fr", "fr", info, valid, allOK, "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature valide\n" +
			"Tunnel : ouvert en mode userspace, dernière poignée de main il y a 2 s\n" +
			"Mode urgence : opérationnel\n" +
			"Toutes les applications essentielles répondent."},
		{"no handshake en", "en", info, valid, noHandshake, "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, valid signature\n" +
			"Tunnel: up in userspace mode, no handshake\n" +
			"Mode urgence: operational\n" +
			"Every essential application answers."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statusSummary(tt.lang, tt.info, tt.prof, tt.snap, testNow)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if again := statusSummary(tt.lang, tt.info, tt.prof, tt.snap, testNow); again != got {
				t.Errorf("not deterministic:\n%s\n%s", got, again)
			}
		})
	}
}
