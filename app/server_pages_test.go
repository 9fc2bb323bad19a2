package app

import (
	"testing"

	"relais/internal/drills"
	"relais/internal/frontend"
)

var testAccounts = []frontend.DemoAccount{
	{Name: "continuite.demo", Role: frontend.RoleContinuity, Password: "MOT-DE-PASSE-CONTINUITE"},
	{Name: "soutien.demo", Role: frontend.RoleHelpdesk, Password: "MOT-DE-PASSE-SOUTIEN"},
}

// Once a drill's report is delivered to a Relais server, its report offers
// the campaign page, with the demo's continuity account; before, and
// without a Relais server, it does not.
func TestDrillReportOpensTheCampaign(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			d := fb.Drills
			d.Delivery = frontend.Delivery{State: frontend.DeliveryPending}
			fb.Diag.Accounts = testAccounts
			tu, s, c := newTestDrills(t, fb, l)
			s.showReport(&drills.Report{RunID: "run-1", DrillID: "automne-2026", Completed: true})
			button, account := "Voir la campagne", "Démonstration : connectez-vous avec le compte « continuite.demo » et le mot de passe « MOT-DE-PASSE-CONTINUITE », créés pour cette démonstration."
			if l == "en" {
				button, account = "See the campaign", "Demo: sign in with the account “continuite.demo” and the password “MOT-DE-PASSE-CONTINUITE”, made for this demo."
			}
			wantNoText(t, c, button)
			d.Lock()
			d.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered}
			d.Unlock()
			s.loadDelivery()
			wantNoText(t, c, button) // delivered, but not to a Relais server
			d.Lock()
			d.ServerURL = "http://127.0.0.1:8443"
			d.Unlock()
			s.refreshReport()
			wantText(t, c, account)
			tap(t, c, button)
			if len(tu.urls) != 1 || tu.urls[0] != "http://127.0.0.1:8443/campagnes/automne-2026" {
				t.Fatalf("opened %q", tu.urls)
			}
			if containsText(c, "MOT-DE-PASSE-SOUTIEN") {
				t.Error("the helpdesk's password shows on the drill's report")
			}
		})
	}
}

// Once a bundle is delivered to a Relais server, the result offers its
// case in the inbox, with the demo's helpdesk account.
func TestDiagOpensTheCase(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Diag.CanUpload, fb.Diag.Accounts, fb.Diag.ServerURL = true, testAccounts, "http://127.0.0.1:8443"
			dr := fb.Drills
			dr.Delivery = frontend.Delivery{State: frontend.DeliveryPending}
			tu, s, c := newTestDiag(t, fb, l)
			create, send, button := "Créer le diagnostic", "Envoyer au centre de services", "Voir le dossier dans la boîte de réception"
			if l == "en" {
				create, send, button = "Make the diagnostics file", "Send to the service desk", "See the case in the inbox"
			}
			tap(t, c, create)
			wantNoText(t, c, button)
			tap(t, c, send)
			wantNoText(t, c, button) // queued, not there yet
			dr.Lock()
			dr.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered}
			dr.Unlock()
			s.refresh()
			account := "Démonstration : connectez-vous avec le compte « soutien.demo » et le mot de passe « MOT-DE-PASSE-SOUTIEN », créés pour cette démonstration."
			if l == "en" {
				account = "Demo: sign in with the account “soutien.demo” and the password “MOT-DE-PASSE-SOUTIEN”, made for this demo."
			}
			wantText(t, c, account)
			tap(t, c, button)
			if len(tu.urls) != 1 || tu.urls[0] != "http://127.0.0.1:8443/dossiers/RLS-7K3M-Q9TD" {
				t.Fatalf("opened %q", tu.urls)
			}
		})
	}
}
