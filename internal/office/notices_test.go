package office

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
	"relais/internal/profile"
)

// The demo office publishes signed notices: its profile names them with a
// notice key of their own (never the profile's key), the document verifies
// with that key only, holds one active notice, and a maintenance window on
// the app designed to be down, so the demo shows "en maintenance (prévue)"
// without changing any other designed state.
func TestOfficeNotices(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := Start(ctx, Options{BrokenNotEssential: true})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	p, err := profile.Accept("demo.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.Notices == nil || p.Notices.URL != o.NoticesURL || p.Notices.PublicKey != o.NoticeKey.String() {
		t.Fatalf("profile [notices] %+v, office %s %s", p.Notices, o.NoticesURL, o.NoticeKey)
	}
	if o.NoticeKey.Equal(o.TrustedKey) {
		t.Fatal("the notice key is the profile's key")
	}
	get := func(url string) []byte {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	doc, sig := get(o.NoticesURL), get(o.NoticesURL+".minisig")
	d, err := notices.Accept(doc, sig, o.NoticeKey, []minisign.PublicKey{o.TrustedKey}, notices.Previous{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := notices.Accept(doc, sig, o.TrustedKey, nil, notices.Previous{}); notices.Code(err) != notices.CodeUntrustedKey {
		t.Fatalf("the profile's key verifies the notices: %v", err)
	}
	now := time.Now()
	if act := d.Active(now); len(act) != 1 || !strings.Contains(act[0].Text.FR, "messagerie") {
		t.Fatalf("active notices %+v", act)
	}
	w, ok := d.MaintenanceOf(MaintenanceApp, now)
	if !ok || w.Until.Sub(now) < MaintenanceWindow-time.Minute {
		t.Fatalf("maintenance of %s: %v %+v", MaintenanceApp, ok, w)
	}
	for _, a := range Apps {
		if a.ID == MaintenanceApp && a.Behaviour != Broken {
			t.Fatalf("the maintenance window is on %s, designed %s: it must be on the app designed to be down", a.ID, a.Behaviour)
		}
	}
	quiet, err := Start(ctx, Options{NoNotices: true})
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	if strings.Contains(string(quiet.Profile), "[notices]") || quiet.NoticesURL != "" {
		t.Fatal("NoNotices still publishes notices")
	}
}
