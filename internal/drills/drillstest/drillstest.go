// Package drillstest holds fixtures shared by the tests of drills and
// drillrun.
package drillstest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"relais/internal/profile"
)

// OldSnapshot is a drill as runs stored it before snapshots had their own
// keys: profile.Drill marshalled with Go's field names (an earlier Relais
// wrote them so; the store still holds such runs).
const OldSnapshot = `{"ID":"automne-2026","Title":{"fr":"Exercice d'automne","en":"Autumn drill"},"Exercise":"simulation",` +
	`"Opens":"2026-11-02T07:00:00Z","Closes":"2026-11-20T17:00:00Z","RTO":"30m","Steps":[` +
	`{"ID":"connexion","Kind":"action","Title":{"fr":"Se connecter","en":"Connect"},"Body":{"fr":"Activez.","en":"Turn it on."},` +
	`"Action":"tunnel_up","Checks":["annuaire-dns"],"Required":null,"Expected":"5m","Choices":null},` +
	`{"ID":"difficulte","Kind":"question","Title":{"fr":"Difficulté","en":"Difficulty"},"Body":{"fr":"","en":""},` +
	`"Action":"","Checks":null,"Required":false,"Expected":"","Choices":[{"fr":"Facile","en":"Easy"},{"fr":"Difficile","en":"Hard"}]}]}`

// OldDrill is OldSnapshot as a profile.Drill.
func OldDrill() profile.Drill {
	no := false
	return profile.Drill{ID: "automne-2026", Title: profile.Text{FR: "Exercice d'automne", EN: "Autumn drill"}, Exercise: "simulation",
		Opens: time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC), Closes: time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC), RTO: "30m",
		Steps: []profile.Step{
			{ID: "connexion", Kind: "action", Title: profile.Text{FR: "Se connecter", EN: "Connect"}, Body: profile.Text{FR: "Activez.", EN: "Turn it on."},
				Action: "tunnel_up", Checks: []string{"annuaire-dns"}, Expected: "5m"},
			{ID: "difficulte", Kind: "question", Title: profile.Text{FR: "Difficulté", EN: "Difficulty"}, Required: &no,
				Choices: []profile.Text{{FR: "Facile", EN: "Easy"}, {FR: "Difficile", EN: "Hard"}}},
		}}
}

// KeysOf are the keys of a JSON object, sorted.
func KeysOf(t testing.TB, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
