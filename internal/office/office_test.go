package office

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"golang.org/x/net/dns/dnsmessage"

	"relais/internal/drills"
	"relais/internal/outbox"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/server"
	"relais/internal/server/config"
	"relais/internal/store"
	"relais/internal/tunnel"
)

func TestOffice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Start(ctx, Options{Serial: 42})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if !strings.HasPrefix(o.Endpoint, "127.0.0.1:") || !strings.HasPrefix(o.ProfileURL, "http://127.0.0.1:") {
		t.Fatalf("not loopback only: %s %s", o.Endpoint, o.ProfileURL)
	}
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.Serial != 42 || len(p.Apps) != len(Apps)+1 || len(p.Pages) != 2 || len(p.Drills) != 1 || p.Tunnel.Endpoint != o.Endpoint {
		t.Fatalf("demo profile: %+v", p)
	}
	if d := p.App(Dependent); d == nil || len(d.Requires) != 2 || d.Requires[1] != "messagerie" || d.Criticality == "essential" {
		t.Fatalf("the dependent app: %+v", d)
	}
	for _, a := range Apps {
		if c := p.App(a.ID).Criticality; c != "essential" {
			t.Fatalf("%s: %s", a.ID, c)
		}
	}
	kinds := map[string]bool{}
	for _, s := range p.Drills[0].Steps {
		kinds[s.Kind] = true
	}
	if len(kinds) != 4 {
		t.Fatalf("drill step kinds %v, want all four", kinds)
	}
	if _, err := (&loopbackBind{}).ParseEndpoint("192.0.2.1:51820"); err == nil {
		t.Fatal("the office accepted a non-loopback peer endpoint")
	}
}

// testPublished is a plausible published side for demoProfile alone.
var testPublished = published{
	ProfileURL:   "http://127.0.0.1:1/relais/profile.toml",
	ReportURL:    "http://127.0.0.1:1" + server.PathReports,
	ButtonURL:    "http://127.0.0.1:1" + ButtonPath,
	ButtonSHA256: strings.Repeat("ab", 32),
	AgeRecipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
}

func TestHealthyEssentialsOnly(t *testing.T) {
	b := demoProfile(1, testPublished, "127.0.0.1:2", tunnel.Key{}, healthyOnly)
	p, err := profile.Parse("demo.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Apps {
		want := "important"
		if a.Behaviour == Healthy {
			want = "essential"
		}
		if c := p.App(a.ID).Criticality; c != want {
			t.Errorf("%s: %s, want %s", a.ID, c, want)
		}
	}
}

func TestDNSAnswers(t *testing.T) {
	o := &Office{dnsQueries: map[string]int{}, zone: map[string]netip.Addr{"paie.intra": Apps[0].Addr}}
	ask := func(name string, typ dnsmessage.Type) dnsmessage.Message {
		q := dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true},
			Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET}}}
		b, _ := q.Pack()
		var m dnsmessage.Message
		if err := m.Unpack(o.answerDNS(b)); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := ask("paie.intra.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeSuccess || len(m.Answers) != 1 || !m.Authoritative || m.ID != 7 {
		t.Fatalf("A paie.intra: %+v", m)
	}
	if m := ask("PAIE.intra.", dnsmessage.TypeAAAA); m.RCode != dnsmessage.RCodeSuccess || len(m.Answers) != 0 {
		t.Fatalf("AAAA paie.intra: %+v", m)
	}
	if m := ask("inconnu.intra.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeNameError {
		t.Fatalf("inconnu.intra: %+v", m)
	}
	if o.DNSQueries("paie.intra") != 2 {
		t.Fatalf("queries counted: %v", o.dnsQueries)
	}
}

func startOffice(t *testing.T) *Office {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := Start(ctx, Options{Serial: 42})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// post sends a report to the office's receiver as the outbox does.
func post(t *testing.T, o *Office, key string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, o.ReportURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, answer
}

// reportJSON is a real drill report of run runID, padded with spaces to
// size bytes when size is larger.
func reportJSON(t testing.TB, runID string, size int) []byte {
	t.Helper()
	tto, within := 95000.0, true
	r := drills.Report{Schema: drills.ReportSchema, RunID: runID, DrillID: "exercice-demo", Participant: "Camille Martin",
		Language: "fr", Started: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), Finished: time.Date(2026, 11, 3, 9, 6, 0, 0, time.UTC),
		Completed: true, RTOMS: 600000, TimeToOperationalMS: &tto, WithinRTO: &within,
		Steps: []drills.ReportStep{{ID: "tunnel", Kind: "action", Required: true, State: drills.StepDone}}}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if size > len(b) {
		b = append(b, bytes.Repeat([]byte(" "), size-len(b))...)
	}
	return b
}

// The profile names the office's server (its intake) and picture; the
// server keeps each report once by Idempotency-Key.
func TestReportReceiver(t *testing.T) {
	o := startOffice(t)
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.Helpdesk == nil || p.Helpdesk.ReportURL != o.ReportURL || !strings.HasPrefix(o.ReportURL, "http://127.0.0.1:") ||
		!strings.HasSuffix(o.ReportURL, server.PathReports) || p.Helpdesk.UploadURL != o.UploadURL ||
		o.UploadURL != o.ServerURL+server.PathBundles {
		t.Fatalf("report_url %+v, office receives at %s", p.Helpdesk, o.ReportURL)
	}
	if p.Helpdesk.AgeRecipient != o.HelpdeskIdentity.Recipient().String() {
		t.Fatalf("age recipient %s", p.Helpdesk.AgeRecipient)
	}

	r1, r2 := reportJSON(t, "run-1", 0), reportJSON(t, "run-2", 0)
	code, first := post(t, o, "run-1", r1)
	if code != http.StatusCreated || !strings.Contains(string(first), `"key":"run-1"`) {
		t.Fatalf("first: %d %s", code, first)
	}
	if code, again := post(t, o, "run-1", r1); code != http.StatusOK || !bytes.Equal(again, first) {
		t.Fatalf("repeat: %d %s, want 200 and %s", code, again, first)
	}
	if code, _ := post(t, o, "run-2", r2); code != http.StatusCreated {
		t.Fatalf("second report: %d", code)
	}
	if code, _ := post(t, o, "run-1", reportJSON(t, "run-1", len(r1)+1)); code != http.StatusUnprocessableEntity {
		t.Fatalf("key reused for another body: %d", code)
	}
	if code, _ := post(t, o, "", r1); code != http.StatusBadRequest {
		t.Fatalf("no key: %d", code)
	}
	if code, _ := post(t, o, "big", reportJSON(t, "big", config.DefaultMaxReportBytes+1)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("over 1 MiB: %d", code)
	}
	if code, _ := post(t, o, "exactly-1MiB", reportJSON(t, "exactly-1MiB", config.DefaultMaxReportBytes)); code != http.StatusCreated {
		t.Fatalf("1 MiB: %d", code)
	}
	o.SetReportsDown(true)
	if code, _ := post(t, o, "run-3", r1); code != http.StatusServiceUnavailable {
		t.Fatalf("down: %d", code)
	}
	o.SetReportsDown(false)
	resp, err := http.Get(o.ReportURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}

	got := o.Reports()
	if len(got) != 3 || !bytes.Equal(got[0], r1) || !bytes.Equal(got[1], r2) || len(got[2]) != config.DefaultMaxReportBytes {
		t.Fatalf("reports: %q", got)
	}
	if n := o.ReportRequests(); n != 9 {
		t.Fatalf("%d requests, want 9", n)
	}
	got[0][0] = 'X' // a copy
	if o.Reports()[0][0] != '{' {
		t.Fatal("Reports returned the server's own bytes")
	}
}

// memCache is a profilesync.Cache in memory.
type memCache struct {
	last   *profilesync.Cached
	assets map[string][]byte
}

func (c *memCache) Last(context.Context) (*profilesync.Cached, error) { return c.last, nil }
func (c *memCache) HasAsset(_ context.Context, sum string) (bool, error) {
	_, ok := c.assets[sum]
	return ok, nil
}
func (c *memCache) Save(_ context.Context, p profilesync.Cached, assets []profilesync.FetchedAsset) error {
	c.last = &p
	for _, a := range assets {
		c.assets[a.SHA256] = a.Bytes
	}
	return nil
}
func (c *memCache) Touch(context.Context, string, string, string) error { return nil }

// The picture is served, pinned by its hash, fetched by an ordinary sync,
// and shown by the first help page and the drill's connection step.
func TestButtonAsset(t *testing.T) {
	o := startOffice(t)
	img, err := png.Decode(bytes.NewReader(o.Button))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 90 || len(o.Button) > 8<<10 {
		t.Fatalf("picture %v, %d bytes", b, len(o.Button))
	}

	cache := &memCache{assets: map[string][]byte{}}
	s := &profilesync.Syncer{Cache: cache, Trusted: []minisign.PublicKey{o.TrustedKey}, Timeout: 5 * time.Second}
	res, err := s.SyncURL(context.Background(), o.ProfileURL)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Profile
	if res.Outcome != profilesync.Accepted || res.AssetsFetched != 1 || len(p.Assets) != 1 {
		t.Fatalf("sync: %+v", res)
	}
	a := p.Assets[0]
	sum := sha256.Sum256(o.Button)
	if a.ID != ButtonAsset || a.URL != strings.TrimSuffix(o.ProfileURL, ProfilePath)+ButtonPath || a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("asset %+v", a)
	}
	if !bytes.Equal(cache.assets[a.SHA256], o.Button) {
		t.Fatal("the synced asset is not the published picture")
	}
	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("served as %q", resp.Header.Get("Content-Type"))
	}

	uses := func(body profile.Text) bool {
		for _, md := range []string{body.FR, body.EN} {
			if refs := profile.AssetRefs(md); len(refs) != 1 || refs[0] != ButtonAsset {
				return false
			}
		}
		return true
	}
	if p.Pages[0].ID != "premiers-pas" || !uses(p.Pages[0].Body) {
		t.Fatalf("first page %s: %+v", p.Pages[0].ID, p.Pages[0].Body)
	}
	var connexion *profile.Step
	for i := range p.Drills[0].Steps {
		if p.Drills[0].Steps[i].ID == "connexion" {
			connexion = &p.Drills[0].Steps[i]
		}
	}
	if connexion == nil || !uses(connexion.Body) {
		t.Fatalf("connexion step: %+v", connexion)
	}
}

// The outbox delivers a report to the office exactly once by key, waiting
// while the receiver is down.
func TestOutboxDeliversToTheOffice(t *testing.T) {
	o := startOffice(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	ob := &outbox.Outbox{DB: db, Timeout: 5 * time.Second, Now: func() time.Time { return now }}
	ctx := context.Background()
	body := reportJSON(t, "run-demo", 0)
	if err := ob.Enqueue(ctx, "drill_report", "run-demo", o.ReportURL, "application/json", body); err != nil {
		t.Fatal(err)
	}
	o.SetReportsDown(true)
	if n, err := ob.DeliverDue(ctx); n != 0 || err != nil {
		t.Fatalf("while down: %d %v", n, err)
	}
	o.SetReportsDown(false)
	now = now.Add(2 * time.Hour)
	if n, err := ob.DeliverDue(ctx); n != 1 || err != nil {
		t.Fatalf("once up: %d %v", n, err)
	}
	if got := o.Reports(); len(got) != 1 || !bytes.Equal(got[0], body) || o.ReportRequests() != 2 {
		t.Fatalf("office got %q in %d requests", got, o.ReportRequests())
	}
}
