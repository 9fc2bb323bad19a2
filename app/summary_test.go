package app

import (
	"testing"
	"time"

	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/version"
)

// failedTunnelSnapshot: the tunnel could not come up; the directory failed
// for it and the mail is blocked behind the directory.
func failedTunnelSnapshot() status.Snapshot {
	blocked := checkResult("messagerie", "messagerie-web", status.StateBlocked, status.CodeBlocked)
	blocked.Reason.Text = profile.Text{FR: "Messagerie n'est pas vérifiée : elle dépend de Annuaire, qui ne fonctionne pas.",
		EN: "Email was not checked: it depends on Directory, which is not working."}
	down := checkResult("annuaire", "annuaire-ldap", status.StateFailed, status.CodeTunnelDown)
	down.Reason.Text = profile.Text{FR: "Le tunnel n'est pas ouvert.", EN: "The tunnel is not up."}
	return status.Snapshot{
		Phase:       status.PhaseFailed,
		Started:     testNow.Add(-time.Minute),
		Tunnel:      status.Tunnel{Mode: status.ModeSystem},
		TunnelError: "tunnel: helper: no handshake within 30s",
		Report: &status.Report{Apps: []status.AppResult{
			{ID: "annuaire", Name: profile.Text{FR: "Annuaire", EN: "Directory"}, Criticality: "essential", State: status.StateFailed,
				Checks: []status.CheckResult{down}},
			{ID: "messagerie", Name: profile.Text{FR: "Messagerie", EN: "Email"}, Criticality: "essential", State: status.StateBlocked,
				BlockedBy: []string{"annuaire"}, Checks: []status.CheckResult{blocked}},
			{ID: "site-public", Name: profile.Text{FR: "Site public", EN: "Public website"}, Criticality: "optional", State: status.StateOK,
				Checks: []status.CheckResult{checkResult("site-public", "site-public-web", status.StateOK, "")}},
		}},
	}
}

func TestStatusSummary(t *testing.T) {
	t.Parallel()
	b := newFakeBackend(t)
	p := b.Prof.Profile
	info := version.Info{Version: "1.2.3", Commit: "abc1234"}
	valid := frontend.ProfileState{Profile: p, Serial: 7, Signature: "valid"}
	expired := frontend.ProfileState{Profile: p, Serial: 7, Signature: "not_checked", Expired: true}

	allOK := sampleSnapshot(p)
	allOK.Phase = status.PhaseOperational
	for i := range allOK.Report.Apps {
		allOK.Report.Apps[i].State = status.StateOK
	}
	noHandshake := allOK
	noHandshake.Tunnel.LastHandshake = time.Time{}
	// The tunnel's failure is its code, worded; the error (English, for the
	// log) never shows, and a state with the code alone says it as well.
	helperRefused := status.Snapshot{Phase: status.PhaseFailed, Started: testNow.Add(-time.Minute), Tunnel: status.Tunnel{Mode: status.ModeSystem},
		TunnelError: "helper: forbidden: uid 1000 is not in group relais", TunnelErrorCode: status.TunnelHelperRefused}
	noIdentity := status.Snapshot{Phase: status.PhaseFailed, Started: testNow.Add(-time.Minute), TunnelErrorCode: status.TunnelNoIdentity}

	tests := []struct {
		name string
		lang string
		info version.Info
		prof frontend.ProfileState
		snap status.Snapshot
		want string
	}{
		{"sample fr", "fr", info, valid, sampleSnapshot(p), "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature valide\n" +
			"Tunnel : ouvert, sans droits d'administrateur, dernière réponse de la passerelle il y a 2 s\n" +
			"Vous êtes connecté à l'environnement d'urgence — 2 applications essentielles sur 3 répondent.\n" +
			"- Messagerie (en panne) : Le serveur de messagerie a refusé la connexion."},
		{"sample en", "en", info, valid, sampleSnapshot(p), "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, valid signature\n" +
			"Tunnel: up, without administrator rights, last answer from the gateway 2 s ago\n" +
			"You are connected to the emergency environment — 2 of 3 essential applications answer.\n" +
			"- Email (failed): The messagerie server refused the connection."},
		{"failed tunnel fr", "fr", info, expired, failedTunnelSnapshot(), "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature non vérifiée, expiré\n" +
			"Tunnel : fermé, échec de l'ouverture : le tunnel n'a pas pu s'ouvrir (le détail est dans le journal, onglet Diagnostic).\n" +
			"Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir.\n" +
			"- Annuaire (en panne) : Le tunnel n'est pas ouvert.\n" +
			"- Messagerie (bloquée) : Messagerie n'est pas vérifiée : elle dépend de Annuaire, qui ne fonctionne pas."},
		{"failed tunnel en", "en", info, expired, failedTunnelSnapshot(), "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, signature not checked, expired\n" +
			"Tunnel: down, failed to come up: the tunnel could not open (the details are in the log, Diagnostics tab).\n" +
			"You are not connected: the tunnel to the emergency environment could not be established.\n" +
			"- Directory (failed): The tunnel is not up.\n" +
			"- Email (blocked): Email was not checked: it depends on Directory, which is not working."},
		{"tunnel refused by the helper fr", "fr", info, valid, helperRefused, "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature valide\n" +
			"Tunnel : fermé, échec de l'ouverture : l'assistant système a refusé d'ouvrir le tunnel, ou n'a pas pu (le détail est dans le journal, onglet Diagnostic).\n" +
			"Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir.\n" +
			"Applications : pas encore vérifiées."},
		{"tunnel refused by the helper en", "en", info, valid, helperRefused, "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, valid signature\n" +
			"Tunnel: down, failed to come up: the system helper refused to open the tunnel, or could not (the details are in the log, Diagnostics tab).\n" +
			"You are not connected: the tunnel to the emergency environment could not be established.\n" +
			"Applications: not checked yet."},
		{"no identity, the code alone fr", "fr", info, valid, noIdentity, "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature valide\n" +
			"Tunnel : fermé, échec de l'ouverture : ce poste n'a pas encore de clé pour l'accès d'urgence.\n" +
			"Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir.\n" +
			"Applications : pas encore vérifiées."},
		{"idle fr", "fr", version.Info{Version: "0.1.0-dev"}, frontend.ProfileState{}, status.Snapshot{Phase: status.PhaseIdle}, "" +
			"Relais 0.1.0-dev, état au 2026-11-22 14:30:00\n" +
			"Profil : aucun\n" +
			"Tunnel : fermé\n" +
			"Mode urgence inactif : vous n'êtes pas connecté à l'environnement d'urgence.\n" +
			"Applications : pas encore vérifiées."},
		{"idle en", "en", version.Info{Version: "0.1.0-dev"}, frontend.ProfileState{}, status.Snapshot{Phase: status.PhaseIdle}, "" +
			"Relais 0.1.0-dev, status at 2026-11-22 14:30:00\n" +
			"Profile: none\n" +
			"Tunnel: down\n" +
			"Mode urgence is off: you are not connected to the emergency environment.\n" +
			"Applications: not checked yet."},
		{"all ok fr", "fr", info, valid, allOK, "" +
			"Relais 1.2.3 (abc1234), état au 2026-11-22 14:30:00\n" +
			"Profil : série 7, signature valide\n" +
			"Tunnel : ouvert, sans droits d'administrateur, dernière réponse de la passerelle il y a 2 s\n" +
			"Tout fonctionne : vous êtes connecté à l'environnement d'urgence et chaque application essentielle répond."},
		{"no handshake en", "en", info, valid, noHandshake, "" +
			"Relais 1.2.3 (abc1234), status at 2026-11-22 14:30:00\n" +
			"Profile: serial 7, valid signature\n" +
			"Tunnel: up, without administrator rights, no answer from the gateway\n" +
			"Everything works: you are connected to the emergency environment and every essential application answers."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
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
