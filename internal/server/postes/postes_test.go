package postes_test

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"relais/internal/enrolment"
	"relais/internal/server/db"
	"relais/internal/server/postes"
)

var peersTable = regexp.MustCompile(`(?s)<table class="postes-table" id="peers">.*?</table>`)

// codeShown is a one-time code as the page shows it, grouped.
var codeShown = regexp.MustCompile(`id="code-value"[^>]*><span class="groups" aria-hidden="true"><span>([A-Z0-9]{5})</span><span class="dash">-</span><span>([A-Z0-9]{5})</span></span>`)

// The page is for the helpdesk and the continuity team: an ambassador
// gets the layout's 403 page, a stranger is sent to sign in, and a POST
// without the session's CSRF token changes nothing.
func TestPostesRolesAndCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Options{DataDir: t.TempDir()})
	anon := e.client()
	if p := e.do(anon, "GET", "/postes", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/connexion") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}
	amb := e.client()
	ambCSRF := e.login(amb, "amb")
	if p := e.do(amb, "GET", "/postes", nil); p.status != http.StatusForbidden {
		t.Fatalf("ambassador GET: %d", p.status)
	}
	if p := e.do(amb, "POST", "/postes/code", url.Values{"csrf": {ambCSRF}, "person": {"Marie"}}); p.status != http.StatusForbidden {
		t.Fatalf("ambassador POST: %d", p.status)
	}
	if home := e.do(amb, "GET", "/", nil); strings.Contains(home.body, `href="/postes"`) {
		t.Fatal("the ambassador's home page links to /postes")
	}
	for _, who := range []string{"alice", "carol"} {
		c := e.client()
		e.login(c, who)
		p := e.do(c, "GET", "/postes", nil, "Accept-Language", "fr")
		if p.status != http.StatusOK || !strings.Contains(p.body, "Créer un code d'enrôlement") ||
			!strings.Contains(p.body, `<a href="/postes" aria-current="page">Postes</a>`) {
			t.Fatalf("%s: %d %.500s", who, p.status, p.body)
		}
	}
	alice := e.client()
	e.login(alice, "alice")
	peer := e.enrol("PC-COMPTA-01")
	for _, c := range []struct{ path, csrf string }{{"/postes/code", ""}, {"/postes/code", "forged"},
		{"/postes/" + strconv.FormatInt(peer.ID, 10) + "/revoquer", ""}} {
		form := url.Values{"person": {"Marie"}}
		if c.csrf != "" {
			form.Set("csrf", c.csrf)
		}
		if p := e.do(alice, "POST", c.path, form); p.status != http.StatusForbidden {
			t.Errorf("%s with csrf %q: %d", c.path, c.csrf, p.status)
		}
	}
	codes, _ := e.db.EnrolCodes(context.Background(), true)
	peers, _ := e.db.Peers(context.Background(), false)
	if len(codes) != 0 || len(peers) != 1 {
		t.Fatalf("a refused POST changed something: %d codes, %d live peers", len(codes), len(peers))
	}
}

// The helpdesk creates a code for a person: it is shown once, grouped
// XXXXX-XXXXX, with its expiry in the reader's words; stored as its hash
// only (not in the database file), it enrols a laptop; the page never
// shows it again. A missing name is refused, the typed text kept.
func TestPostesCreateCode(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPostesCreateCode)
}

func testPostesCreateCode(t *testing.T, opts db.Options) {
	dir := opts.DataDir // "" on PostgreSQL: no file to read
	e := newEnv(t, opts)
	e.clock.t = time.Date(2026, 12, 7, 9, 0, 0, 0, time.Local)
	c := e.client()
	csrf := e.login(c, "alice")
	p := e.do(c, "POST", "/postes/code", url.Values{"csrf": {csrf}, "person": {"  Marie   Dupont "}, "valid": {"240"}})
	m := codeShown.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("create: %d %.2000s", p.status, p.body)
	}
	code := m[1] + "-" + m[2]
	if !enrolment.IsCode(code) {
		t.Fatalf("%q is not a one-time code", code)
	}
	spelled := strings.Join(strings.Split(m[1], ""), " ") + ", " + strings.Join(strings.Split(m[2], ""), " ")
	if !strings.Contains(p.body, `<span class="vh">`+spelled+`</span>`) {
		t.Errorf("the code is not spelled for a screen reader (%q)", spelled)
	}
	for _, want := range []string{"Code d'enrôlement pour Marie Dupont", "Valable jusqu'au 7 décembre 2026 à 13:00 (4 h)", "ne sera plus jamais affiché"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Stored hashed: not in the files of the database, and it enrols.
	var files []string
	if dir != "" {
		files, _ = filepath.Glob(filepath.Join(dir, "*"))
		if len(files) == 0 {
			t.Fatal("no database file")
		}
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte(code)) || bytes.Contains(raw, []byte(enrolment.NormalizeSecret(code))) {
			t.Fatalf("the code is in %s in clear", f)
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, "enrolment code created") || strings.Contains(logs, m[1]) || strings.Contains(logs, m[2]) {
		t.Fatalf("the log: %s", logs)
	}
	codes, err := e.db.EnrolCodes(context.Background(), false)
	if err != nil || len(codes) != 1 || codes[0].Person != "Marie Dupont" || codes[0].CreatedBy != "alice" ||
		!codes[0].Expires.Equal(e.clock.t.Add(4*time.Hour)) {
		t.Fatalf("stored: %+v %v", codes, err)
	}
	res, err := e.db.Enrol(context.Background(), db.EnrolRequest{Hash: enrolment.Hash(strings.ToLower(code)), IsCode: true,
		PublicKey: newKey(t), DeviceName: "PC-MARIE", Pools: []netip.Prefix{pool}, Source: "192.0.2.7"})
	if err != nil || res.Peer.Via == "" {
		t.Fatalf("the code does not enrol: %+v %v", res, err)
	}
	// Shown once: the page afterwards lists the laptop, never the code.
	after := e.do(c, "GET", "/postes", nil)
	if strings.Contains(after.body, m[1]) || strings.Contains(after.body, m[2]) || !strings.Contains(after.body, "PC-MARIE") {
		t.Fatalf("after: %.3000s", after.body)
	}
	// A missing name: refused, nothing stored.
	bad := e.do(c, "POST", "/postes/code", url.Values{"csrf": {csrf}, "person": {"   "}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="person-error"`) || codeShown.MatchString(bad.body) {
		t.Fatalf("empty name: %d %.1000s", bad.status, bad.body)
	}
	long := e.do(c, "POST", "/postes/code", url.Values{"csrf": {csrf}, "person": {strings.Repeat("é", postes.MaxPerson+1)}})
	if long.status != http.StatusUnprocessableEntity || !strings.Contains(long.body, strings.Repeat("é", postes.MaxPerson+1)) {
		t.Fatalf("long name: %d", long.status)
	}
	if all, _ := e.db.EnrolCodes(context.Background(), true); len(all) != 1 {
		t.Fatalf("refused forms stored codes: %+v", all)
	}
	// In English.
	en := e.do(c, "POST", "/postes/code?lang=en", url.Values{"csrf": {csrf}, "person": {"John Smith"}})
	if en.status != http.StatusOK || !codeShown.MatchString(en.body) || !strings.Contains(en.body, "Enrolment code for John Smith") ||
		!strings.Contains(en.body, "Valid until 7 December 2026, 17:00 (8 h)") {
		t.Fatalf("English: %d %.3000s", en.status, en.body)
	}
}

// The list finds a laptop by part of its name or the start of its key;
// "Révoquer…" leads to a confirmation, whose POST revokes the peer (the
// row then says révoqué, with who and when), once.
func TestPostesFindAndRevoke(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPostesFindAndRevoke)
}

func testPostesFindAndRevoke(t *testing.T, opts db.Options) {
	e := newEnv(t, opts)
	a := e.enrol("PC-COMPTA-01")
	b := e.enrol("PORTABLE-RH-07")
	c := e.client()
	csrf := e.login(c, "carol")
	all := e.do(c, "GET", "/postes", nil)
	for _, p := range []db.Peer{a, b} {
		if !strings.Contains(all.body, `id="peer-`+strconv.FormatInt(p.ID, 10)+`"`) || !strings.Contains(all.body, p.Addresses[0].String()) {
			t.Fatalf("%s not listed: %.3000s", p.DeviceName, all.body)
		}
	}
	for _, q := range []string{"compta", b.PublicKey[:8], strconv.FormatInt(a.ID, 10)} {
		want, other := a, b
		if q == b.PublicKey[:8] {
			want, other = b, a
		}
		p := e.do(c, "GET", "/postes?q="+url.QueryEscape(q), nil)
		list := peersTable.FindString(p.body) // the log below names both
		if !strings.Contains(list, want.DeviceName) || strings.Contains(list, other.DeviceName) {
			t.Errorf("search %q: %.2000s", q, list)
		}
	}
	if p := e.do(c, "GET", "/postes?q=nothing-like-it", nil); !strings.Contains(p.body, "Aucun poste ne correspond à « nothing-like-it »") {
		t.Errorf("search without result: %.2000s", p.body)
	}
	id := strconv.FormatInt(a.ID, 10)
	confirm := e.do(c, "GET", "/postes/"+id+"/revoquer", nil)
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "Révoquer le poste PC-COMPTA-01 ?") ||
		!strings.Contains(confirm.body, a.PublicKey) || !strings.Contains(confirm.body, `action="/postes/`+id+`/revoquer"`) {
		t.Fatalf("confirm: %d %.2000s", confirm.status, confirm.body)
	}
	if live, _ := e.db.Peers(context.Background(), false); len(live) != 2 {
		t.Fatal("the confirmation page revoked")
	}
	done := e.do(c, "POST", "/postes/"+id+"/revoquer", url.Values{"csrf": {csrf}})
	if done.status != http.StatusSeeOther || done.header.Get("Location") != "/postes?revoque="+id {
		t.Fatalf("revoke: %d %s", done.status, done.header.Get("Location"))
	}
	peers, _ := e.db.Peers(context.Background(), true)
	for _, p := range peers {
		if p.ID == a.ID && (p.State != db.PeerRevoked || p.RevokedBy != "carol") || p.ID == b.ID && p.State != db.PeerActive {
			t.Fatalf("stored: %+v", p)
		}
	}
	after := e.do(c, "GET", done.header.Get("Location"), nil)
	if !strings.Contains(after.body, "Le poste PC-COMPTA-01 est révoqué") || strings.Contains(after.body, `id="peer-`+id+`"`) {
		t.Fatalf("after: %.3000s", after.body)
	}
	withRevoked := e.do(c, "GET", "/postes?tous=1", nil)
	row := regexp.MustCompile(`(?s)<tr id="peer-` + id + `">.*?</tr>`).FindString(withRevoked.body)
	if !strings.Contains(row, "révoqué") || !strings.Contains(row, "carol") || strings.Contains(row, "/revoquer") {
		t.Fatalf("revoked row: %q", row)
	}
	if !strings.Contains(withRevoked.body, `<span class="badge bad">révoqué</span>`) {
		t.Fatal("the log lacks the revocation")
	}
	if again := e.do(c, "POST", "/postes/"+id+"/revoquer", url.Values{"csrf": {csrf}}); again.status != http.StatusConflict ||
		!strings.Contains(again.body, "déjà révoqué") {
		t.Fatalf("twice: %d %.1000s", again.status, again.body)
	}
	if p := e.do(c, "POST", "/postes/99999/revoquer", url.Values{"csrf": {csrf}}); p.status != http.StatusNotFound {
		t.Fatalf("unknown: %d", p.status)
	}
	if p := e.do(c, "GET", "/postes/abc/revoquer", nil); p.status != http.StatusNotFound {
		t.Fatalf("bad id: %d", p.status)
	}
	// A forged ?revoque= of a live laptop says nothing.
	if p := e.do(c, "GET", "/postes?revoque="+strconv.FormatInt(b.ID, 10), nil); strings.Contains(p.body, "postes-flash") {
		t.Fatal("a live laptop announced as revoked")
	}
}

// Setup tokens are listed (name, uses, expiry, state), never a secret;
// the latest events word a refusal; English throughout with ?lang=en.
func TestPostesTokensAndEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Options{DataDir: t.TempDir()})
	ctx := context.Background()
	tok := enrolment.NewSetupToken()
	if err := e.db.AddSetupToken(ctx, "rentree-2027", enrolment.Hash(tok), 3000, e.clock.now().Add(72*time.Hour), "cli:root"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddEnrolEvent(ctx, db.EnrolEvent{At: e.clock.now(), Kind: db.EventRefused, Code: enrolment.CodeTokenExpired,
		DeviceName: "PC-\u202eEVIL", PublicKey: newKey(t), Source: "192.0.2.99"}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	e.login(c, "alice")
	fr := e.do(c, "GET", "/postes", nil)
	en := e.do(c, "GET", "/postes?lang=en", nil)
	for _, p := range []page{fr, en} {
		if strings.Contains(p.body, tok) || strings.Contains(p.body, enrolment.Hash(tok)) {
			t.Fatal("the page shows a token's secret or hash")
		}
		if strings.Contains(p.body, "\u202e") {
			t.Fatal("a device name reorders the page")
		}
	}
	for _, want := range []string{"rentree-2027", "0 sur 3\u00a0000", "jeton ou code expiré", "refusé", "192.0.2.99", `lang="fr"`} {
		if !strings.Contains(fr.body, want) {
			t.Errorf("French page lacks %q", want)
		}
	}
	for _, want := range []string{"Setup tokens", "0 of 3,000", "token or code expired", "refused", "Devices", `lang="en"`} {
		if !strings.Contains(en.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	if strings.Contains(en.body, "Créer") || strings.Contains(en.body, "jeton") {
		t.Error("French words on the English page")
	}
}

// Without [wireguard] the page says the server enrols no one and offers
// no code; the configured code_validity is the form's default.
func TestPostesNotEnabledAndValidity(t *testing.T) {
	t.Parallel()
	off := newEnv(t, db.Options{DataDir: t.TempDir()}, func(o *postes.Options) { o.NotEnabled = true })
	c := off.client()
	csrf := off.login(c, "alice")
	if p := off.do(c, "GET", "/postes", nil); !strings.Contains(p.body, `id="not-enabled"`) || strings.Contains(p.body, `id="code-form"`) {
		t.Fatalf("not enabled: %.2000s", p.body)
	}
	if p := off.do(c, "POST", "/postes/code", url.Values{"csrf": {csrf}, "person": {"Marie"}}); p.status != http.StatusConflict || codeShown.MatchString(p.body) {
		t.Fatalf("a code without [wireguard]: %d", p.status)
	}
	on := newEnv(t, db.Options{DataDir: t.TempDir()}, func(o *postes.Options) { o.CodeValidity = 90 * time.Minute })
	c = on.client()
	csrf = on.login(c, "alice")
	if p := on.do(c, "GET", "/postes", nil); !strings.Contains(p.body, `<option value="90" selected>1 h 30 min</option>`) {
		t.Fatalf("default validity: %.3000s", p.body)
	}
	p := on.do(c, "POST", "/postes/code", url.Values{"csrf": {csrf}, "person": {"Marie"}, "valid": {"100000"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "(1 h 30 min)") {
		t.Fatalf("an unoffered validity: %d", p.status)
	}
}

// The page's search and the name a code is for are bounded and cleaned.
func TestCleanPersonAndMatches(t *testing.T) {
	for in, want := range map[string]string{"  Marie   Dupont ": "Marie Dupont", "": "", "a\u0000b": "", "x\u202ey": "", "Zoé": "Zoé",
		strings.Repeat("a", postes.MaxPerson): strings.Repeat("a", postes.MaxPerson), strings.Repeat("a", postes.MaxPerson+1): ""} {
		if got := postes.CleanPerson(in); got != want {
			t.Errorf("CleanPerson(%q) = %q, want %q", in, got, want)
		}
	}
	p := db.Peer{ID: 42, DeviceName: "PC-Compta-01", PublicKey: "AbCdEfGh0123456789abcdefghijklmnopqrstuvwxy="}
	for q, want := range map[string]bool{"": true, "compta": true, "AbCd": true, "abcd": false, "Ab": false, "42": true, "4": false, "rh": false} {
		if got := postes.Matches(p, q); got != want {
			t.Errorf("Matches(%q) = %v", q, got)
		}
	}
}

func FuzzCleanPerson(f *testing.F) {
	for _, s := range []string{"Marie Dupont", "", "\u202e", "a\tb", strings.Repeat("é", 101)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := postes.CleanPerson(s)
		if got == "" {
			return
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") || len([]rune(got)) > postes.MaxPerson || postes.CleanPerson(got) != got {
			t.Fatalf("CleanPerson(%q) = %q", s, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || r == '\u202e' {
				t.Fatalf("CleanPerson(%q) kept %U", s, r)
			}
		}
	})
}
