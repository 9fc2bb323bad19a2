package office

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
)

// Paths of the signed notices on the profile server.
const (
	NoticesPath          = "/relais/v1/notices.json"
	NoticesSignaturePath = NoticesPath + ".minisig"
)

// MaintenanceApp is the demo app under announced maintenance: the broken
// one, whose design state is failed, so that the demo shows "en
// maintenance (prévue)" where it would show "en panne", and every other
// state and verdict of the demo stays what it was designed to be.
const MaintenanceApp = "messagerie"

// MaintenanceWindow is how long the demo's window lasts around the
// office's start.
const MaintenanceWindow = 12 * time.Hour

// demoNotices is the demo's notices document: one active notice and one
// maintenance window on MaintenanceApp, from a little before now for
// MaintenanceWindow.
func demoNotices(serial int64, now time.Time) ([]byte, error) {
	from, until := now.Add(-10*time.Minute).UTC().Truncate(time.Second), now.Add(MaintenanceWindow).UTC().Truncate(time.Second)
	doc := notices.Document{Schema: notices.Schema, Serial: serial, IssuedAt: now.UTC().Truncate(time.Second),
		Notices: []notices.Notice{{ID: "demo-messagerie", Level: notices.Warning,
			Text: notices.Text{
				FR: "Démonstration : la messagerie est en maintenance prévue aujourd'hui. Les autres applications restent disponibles ; le portail d'urgence donne les consignes.",
				EN: "Demo: email is under planned maintenance today. The other applications remain available; the emergency portal has the instructions."},
			From: from, Until: until}},
		Maintenance: []notices.Window{{App: MaintenanceApp, From: from, Until: until,
			Text: notices.Text{FR: "Mise à jour du serveur de messagerie (démonstration).", EN: "Email server upgrade (demo)."}}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	if _, err := notices.Parse(b); err != nil { // what laptops will check
		return nil, err
	}
	return b, nil
}

// publishNotices makes the demo's notice key (a key of its own, never the
// profile's) and the signed document, served from base.
func (o *Office) publishNotices(base string, serial int64, now time.Time, files map[string][]byte) error {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("office: notice key: %w", err)
	}
	doc, err := demoNotices(serial, now)
	if err != nil {
		return fmt.Errorf("office: demo notices: %w", err)
	}
	o.NoticesURL, o.NoticeKey = base+NoticesPath, pub
	o.Notices, o.NoticesSignature = doc, notices.Sign(doc, priv)
	files[NoticesPath], files[NoticesSignaturePath] = o.Notices, o.NoticesSignature
	return nil
}
