package avis_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/i18n"
	"relais/internal/notices"
	"relais/internal/server/avis"
	"relais/internal/server/db"
)

// accept is what a laptop does: the document and its signature, accepted
// with the notice key alone after the last accepted one.
func accept(t *testing.T, s *site, key minisign.PublicKey, prev notices.Previous) (*notices.Document, error) {
	t.Helper()
	resp, doc := s.get(t, avis.PathDocument)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", avis.PathDocument, resp.StatusCode, doc)
	}
	resp, sig := s.get(t, avis.PathSignature)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", avis.PathSignature, resp.StatusCode)
	}
	return notices.Accept(doc, sig, key, nil, prev)
}

// Publish a notice, a window, end the notice: each document verifies
// with the notice key's public half and notices.Accept, serials increase,
// the ended notice leaves the next document, the page lists what is on.
func TestPublishEndAndVerify(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, opts db.Options) {
		pub, priv := newKey(t)
		s := newSite(t, opts, avis.NewSigner(priv))

		status, loc, body := s.post(t, "/avis/avis?lang=en", noticeForm())
		if status != http.StatusSeeOther || loc != "/avis?lang=en&publie=1" {
			t.Fatalf("publish: %d %q %s", status, loc, body)
		}
		d1, err := accept(t, s, pub, notices.Previous{})
		if err != nil {
			t.Fatal(err)
		}
		if d1.Serial != 1 || len(d1.Notices) != 1 || len(d1.Maintenance) != 0 {
			t.Fatalf("%+v", d1)
		}
		n := d1.Notices[0]
		if n.Level != notices.Warning || n.Text.FR != "La paie est en maintenance jusqu'à 14 h." ||
			n.Text.EN != "Payroll is under maintenance until 2 pm." || !n.From.IsZero() ||
			!n.Until.Equal(time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)) {
			t.Fatalf("notice %+v", n)
		}
		if act := d1.Active(s.clock.Now()); len(act) != 1 {
			t.Fatalf("active now: %+v", act)
		}

		status, loc, _ = s.post(t, "/avis/maintenance", windowForm())
		if status != http.StatusSeeOther || loc != "/avis?publie=2" {
			t.Fatalf("window: %d %q", status, loc)
		}
		d2, err := accept(t, s, pub, notices.Previous{Serial: d1.Serial, SHA256: d1.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		w, ok := d2.MaintenanceOf("paie", s.clock.Now().Add(time.Hour))
		if d2.Serial != 2 || len(d2.Notices) != 1 || !ok || w.Text.EN != "Enter your expense claims tomorrow." {
			t.Fatalf("%+v %v %+v", d2, ok, w)
		}

		// The page lists both, with an "end now" button each.
		resp, page := s.get(t, "/avis?lang=fr&publie=2")
		text := html.UnescapeString(string(page))
		if resp.StatusCode != http.StatusOK || !strings.Contains(text, i18n.T("fr", "avis.published", "2")) ||
			!strings.Contains(text, "La paie est en maintenance jusqu'à 14 h.") ||
			!strings.Contains(text, "Du 5 décembre 2026 à 09:00 au 5 décembre 2026 à 14:00") ||
			strings.Count(text, `class="avis-end"`) != 2 || !strings.Contains(text, `lang="fr"`) {
			t.Fatalf("page:\n%s", text)
		}
		ends := regexp.MustCompile(`action="(/avis/(\d+)/terminer[^"]*)"`).FindAllStringSubmatch(text, -1)
		if len(ends) != 2 {
			t.Fatalf("end buttons: %v", ends)
		}
		// The notice (a warning) is listed before the window.
		status, loc, _ = s.post(t, ends[0][1], url.Values{})
		if status != http.StatusSeeOther || !strings.Contains(loc, "termine=3") {
			t.Fatalf("end: %d %q", status, loc)
		}
		d3, err := accept(t, s, pub, notices.Previous{Serial: d2.Serial, SHA256: d2.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		if d3.Serial != 3 || len(d3.Notices) != 0 || len(d3.Maintenance) != 1 {
			t.Fatalf("after ending the notice: %+v", d3)
		}
		// Ending it again changes nothing and says so.
		status, _, body = s.post(t, ends[0][1], url.Values{})
		if status != http.StatusConflict || !strings.Contains(html.UnescapeString(body), i18n.T("fr", "avis.err.already_ended")) {
			t.Fatalf("end twice: %d %s", status, body)
		}
		if latest, _ := s.db.LatestNoticeDocument(ctxFor(t)); latest.Serial != 3 || latest.CreatedBy != "continuite@example.org" {
			t.Fatalf("latest %+v", latest)
		}
	})
}
