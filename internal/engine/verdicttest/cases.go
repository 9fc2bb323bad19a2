// Package verdicttest holds the snapshot states every front end's test
// words, with the one verdict sentence each must show in French and in
// English (Accueil, the tray, the status summary, `relais status`, a
// diagnostic bundle's summary). Tests only.
package verdicttest

import (
	"time"

	"relais/internal/profile"
	"relais/internal/status"
)

// Case is one state and its verdict sentence in each language.
type Case struct {
	Name   string
	Active bool // Mode urgence is on (the GUI's backend says so)
	Snap   status.Snapshot
	FR, EN string
}

// Contradictions are words that must never show for a state where some
// essential apps answer and others do not: neither "all is well" nor
// Mode urgence "failed" beside "connected".
var Contradictions = []string{"Tout fonctionne", "Everything works", "Mode urgence : en échec", "Mode urgence: failed", "Mode urgence: failing"}

var names = map[string]profile.Text{
	"annuaire":    {FR: "Annuaire", EN: "Directory"},
	"messagerie":  {FR: "Messagerie", EN: "Email"},
	"paie":        {FR: "Paie", EN: "Payroll"},
	"site-public": {FR: "Site public", EN: "Public website"},
}

// Window is the maintenance window of an app in StateMaintenance in the
// cases: announced for the morning of the cases' day.
var Window = status.Maintenance{
	From:  time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
	Until: time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC),
	Text:  profile.Text{FR: "Maintenance prévue jusqu'à 18 h.", EN: "Planned maintenance until 6 pm."},
}

func app(id, crit string, st status.State) status.AppResult {
	a := status.AppResult{ID: id, Name: names[id], Criticality: crit, State: st}
	cst := st
	if st == status.StateMaintenance { // its checks failed, during its window
		cst = status.StateFailed
		w := Window
		a.Maintenance = &w
	}
	c := status.CheckResult{ID: id + "-web", AppID: id, Type: "http", State: cst, Duration: 40 * time.Millisecond}
	if st != status.StateOK {
		c.Reason = &status.Reason{Code: "refused",
			Text: profile.Text{FR: "Le serveur a refusé la connexion.", EN: "The server refused the connection."},
			Next: profile.Text{FR: "Appelez le centre de services.", EN: "Call the service desk."}}
	}
	if st == status.StateBlocked {
		a.BlockedBy = []string{"annuaire"}
		c.Reason.Code = status.CodeBlocked
	}
	a.Checks = []status.CheckResult{c}
	return a
}

// snap is a snapshot at now with the tunnel up and these apps: annuaire,
// messagerie and paie essential, site-public optional.
func snap(now time.Time, annuaire, messagerie, paie, site status.State) status.Snapshot {
	return status.Snapshot{
		PID: 4242, Phase: status.PhaseOf(&status.Report{Apps: []status.AppResult{app("annuaire", "essential", annuaire),
			app("messagerie", "essential", messagerie), app("paie", "essential", paie)}}),
		Started: now.Add(-time.Minute),
		Profile: status.ProfileInfo{Serial: 7, Signed: true, Signature: "valid"},
		Tunnel: status.Tunnel{Mode: status.ModeUserspace, Up: true, Endpoint: "203.0.113.5:51820",
			LastHandshake: now.Add(-2 * time.Second)},
		Report: &status.Report{Started: now.Add(-21 * time.Second), Finished: now.Add(-20 * time.Second), Apps: []status.AppResult{
			app("annuaire", "essential", annuaire), app("messagerie", "essential", messagerie),
			app("paie", "essential", paie), app("site-public", "optional", site)}},
		Runs: 1,
	}
}

// Cases are the states, at now.
func Cases(now time.Time) []Case {
	ok, slow, down, blocked, maint := status.StateOK, status.StateDegraded, status.StateFailed, status.StateBlocked, status.StateMaintenance
	const connected = "Vous êtes connecté à l'environnement d'urgence"
	const connectedEN = "You are connected to the emergency environment"
	tunnelFailed := snap(now, down, blocked, blocked, down)
	tunnelFailed.Phase, tunnelFailed.Tunnel, tunnelFailed.TunnelError = status.PhaseFailed, status.Tunnel{Mode: status.ModeUserspace}, "tunnel: no handshake within 30s"
	// Enrolled, then revoked: the tunnel is up, the gateway never
	// answers, and the enrolment server says the key was revoked.
	revoked := snap(now, down, blocked, blocked, down)
	revoked.Phase, revoked.TunnelErrorCode = status.PhaseFailed, status.TunnelRevoked
	revoked.TunnelError = "the gateway does not answer: the enrolment server says this device's key was revoked"
	revoked.Tunnel.LastHandshake, revoked.Tunnel.RxBytes = time.Time{}, 0
	stopped := snap(now, ok, ok, down, ok)
	stopped.Stopped, stopped.Phase = true, status.PhaseIdle
	cs := []Case{
		{"two of three", true, snap(now, ok, down, ok, ok),
			connected + " — 2 applications essentielles sur 3 répondent.", connectedEN + " — 2 of 3 essential applications answer."},
		{"one of three", true, snap(now, ok, down, blocked, ok),
			connected + " — 1 application essentielle sur 3 répond.", connectedEN + " — 1 of 3 essential applications answers."},
		{"none of three", true, snap(now, down, blocked, down, ok),
			connected + ", mais aucune des 3 applications essentielles ne répond.", connectedEN + ", but none of its 3 essential applications answers."},
		{"all ok", true, snap(now, ok, ok, ok, ok),
			"Tout fonctionne : vous êtes connecté à l'environnement d'urgence et chaque application essentielle répond.",
			"Everything works: you are connected to the emergency environment and every essential application answers."},
		{"an optional app down", true, snap(now, ok, ok, ok, down),
			connected + " et chaque application essentielle répond.", connectedEN + " and every essential application answers."},
		{"one slow", true, snap(now, ok, slow, ok, ok),
			connected + " — chaque application essentielle répond, dont 1 lentement.", connectedEN + " — every essential application answers, 1 of them slowly."},
		// Planned maintenance is neither a failure nor "everything works".
		{"one of three in maintenance", true, snap(now, ok, maint, ok, ok),
			connected + " — 1 application essentielle est en maintenance prévue, les autres répondent.",
			connectedEN + " — 1 essential application is under planned maintenance; the others answer."},
		{"two of three in maintenance", true, snap(now, maint, maint, ok, ok),
			connected + " — 2 applications essentielles sont en maintenance prévue, les autres répondent.",
			connectedEN + " — 2 essential applications are under planned maintenance; the others answer."},
		{"three of three in maintenance", true, snap(now, maint, maint, maint, ok),
			connected + " — ses 3 applications essentielles sont en maintenance prévue.",
			connectedEN + " — its 3 essential applications are under planned maintenance."},
		{"one of three in maintenance, one down", true, snap(now, ok, maint, down, ok),
			connected + " — 1 application essentielle sur 3 répond.", connectedEN + " — 1 of 3 essential applications answers."},
		{"tunnel failed", true, tunnelFailed,
			"Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir.",
			"You are not connected: the tunnel to the emergency environment could not be established."},
		{"revoked", true, revoked,
			"Vous n'êtes pas connecté : le tunnel vers l'environnement d'urgence n'a pas pu s'établir.",
			"You are not connected: the tunnel to the emergency environment could not be established."},
		{"stopped", false, stopped,
			"Mode urgence inactif : vous n'êtes pas connecté à l'environnement d'urgence.",
			"Mode urgence is off: you are not connected to the emergency environment."},
	}
	return cs
}

// Text is the case's sentence in lang ("fr" or "en").
func (c Case) Text(lang string) string {
	if lang == "en" {
		return c.EN
	}
	return c.FR
}
