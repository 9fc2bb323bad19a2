package avis_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
	"relais/internal/server"
	"relais/internal/server/avis"
	"relais/internal/server/config"
	"relais/internal/server/db"
)

// laptop fetches notices as the laptop side does (notices/noticesync): a
// conditional GET of the document against the last validators, then its
// .minisig, accepted with notices.Accept (the notice key alone, strict
// parse, no rollback); a refusal keeps the last good document.
type laptop struct {
	url        string
	key        minisign.PublicKey
	last       *notices.Document
	etag, date string
	client     http.Client
}

func (l *laptop) get(t *testing.T, u string, conditional bool) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if conditional && l.last != nil {
		req.Header.Set("If-None-Match", l.etag)
		req.Header.Set("If-Modified-Since", l.date)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, notices.MaxSize+1))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// sync returns "accepted", "not_modified", or the refusal.
func (l *laptop) sync(t *testing.T) (string, error) {
	t.Helper()
	status, doc, hdr := l.get(t, l.url, true)
	switch status {
	case http.StatusNotModified:
		return "not_modified", nil
	case http.StatusOK:
	default:
		t.Fatalf("GET %s: %d", l.url, status)
	}
	status, sig, _ := l.get(t, l.url+".minisig", false)
	if status != http.StatusOK {
		t.Fatalf("GET .minisig: %d", status)
	}
	var prev notices.Previous
	if l.last != nil {
		prev = notices.Previous{Serial: l.last.Serial, SHA256: l.last.SHA256}
	}
	d, err := notices.Accept(doc, sig, l.key, nil, prev)
	if err != nil {
		return "", err
	}
	l.last, l.etag, l.date = d, hdr.Get("ETag"), hdr.Get("Last-Modified")
	return "accepted", nil
}

// serve runs `relais serve`'s handler with a notice key, and the Avis page
// beside it on the same database.
func serve(t *testing.T, priv minisign.PrivateKey) (api, page *httptest.Server) {
	t.Helper()
	text, err := priv.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	keyPath := writeKey(t, text, 0o600)
	dataDir := t.TempDir()
	cfg, err := config.Parse("server.toml", []byte(fmt.Sprintf("data_dir = %q\nnotice_key_file = %q\n", dataDir, keyPath)))
	if err != nil {
		t.Fatal(err)
	}
	d := openDB(t, db.Options{DataDir: dataDir})
	srv, err := server.New(cfg, d, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api = httptest.NewServer(srv)
	t.Cleanup(api.Close)
	signer, err := avis.LoadSigner(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	page = httptest.NewServer(avis.Handler(d, signer, avis.Options{}))
	t.Cleanup(page.Close)
	return api, page
}

func publish(t *testing.T, page *httptest.Server, path string, form url.Values) {
	t.Helper()
	client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(page.URL+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish %s: %d", path, resp.StatusCode)
	}
}

// The loop: what the continuity team publishes on the page, `relais
// serve` serves at /v1/notices.json, and the laptop's fetch accepts —
// then answers 304 until the next document, which it accepts too. A
// document signed by another key is refused and the last good one kept.
func TestLoopLaptopAcceptsTheServersNotices(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	api, page := serve(t, priv)
	now := time.Now()
	local := func(d time.Duration) string { return now.Add(d).In(time.Local).Format("2006-01-02T15:04") }

	l := &laptop{url: api.URL + avis.PathDocument, key: pub}
	publish(t, page, "/avis/avis", url.Values{"level": {"crisis"}, "text_fr": {"Cellule de crise ouverte."},
		"text_en": {"Crisis unit open."}, "until": {local(3 * time.Hour)}})
	if out, err := l.sync(t); err != nil || out != "accepted" || l.last.Serial != 1 {
		t.Fatalf("first fetch: %q %v", out, err)
	}
	if act := l.last.Active(time.Now()); len(act) != 1 || act[0].Level != notices.Crisis || act[0].Text.EN != "Crisis unit open." {
		t.Fatalf("active: %+v", act)
	}
	if out, err := l.sync(t); err != nil || out != "not_modified" {
		t.Fatalf("second fetch: %q %v", out, err)
	}
	publish(t, page, "/avis/maintenance", url.Values{"app": {"paie"}, "from": {local(-time.Hour)}, "until": {local(2 * time.Hour)}})
	if out, err := l.sync(t); err != nil || out != "accepted" || l.last.Serial != 2 {
		t.Fatalf("after a maintenance: %q %v", out, err)
	}
	if _, ok := l.last.MaintenanceOf("paie", time.Now()); !ok {
		t.Fatal("paie is not under maintenance")
	}

	// A laptop trusting another key refuses this server's document.
	otherPub, otherPriv := newKey(t)
	stranger := &laptop{url: l.url, key: otherPub}
	if _, err := stranger.sync(t); notices.Code(err) != notices.CodeUntrustedKey {
		t.Fatalf("another key: %v", err)
	}
	// A server signing with another key: the laptop refuses it and keeps
	// its last good document.
	api2, page2 := serve(t, otherPriv)
	publish(t, page2, "/avis/avis", url.Values{"level": {"info"}, "text_fr": {"Tout va bien."}, "text_en": {"All is well."}})
	l.url = api2.URL + avis.PathDocument
	if _, err := l.sync(t); notices.Code(err) != notices.CodeUntrustedKey || l.last.Serial != 2 || len(l.last.Notices) != 1 {
		t.Fatalf("signed by another key: %v, kept %+v", err, l.last)
	}
}
