package backend

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/config"
	"relais/internal/enrolment"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/profile/profiletest"
	"relais/internal/secrets"
	"relais/internal/secrets/secretstest"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The example profile's gateway key.
const exampleServerKey = "b49b/tJYp/VejjTju4hQ/J1rRbS+yJBkPe64Z6EdAF0="

// enrolServer speaks the enrolment contract (unit tests: the real server
// is tested end to end): one secret, addresses handed out once per key,
// a refusal or a raw answer on demand, grants signed when it has a key.
type enrolServer struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	secret    string // normalised
	serverKey string
	grantKey  *minisign.PrivateKey
	refuse    string // a code to answer with
	raw       func(w http.ResponseWriter)
	next      int
	peers     map[string]string // public key → address
	revoked   map[string]bool
	requests  []enrolment.Request
	statusHit int
}

func newEnrolServer(t *testing.T, secret string) *enrolServer {
	s := &enrolServer{t: t, secret: enrolment.NormalizeSecret(secret), serverKey: exampleServerKey, next: 7,
		peers: map[string]string{}, revoked: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *enrolServer) URL() string { return s.srv.URL + enrolment.Path }

func (s *enrolServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	fail := func(code string) {
		w.WriteHeader(enrolment.HTTPStatus(code))
		_ = json.NewEncoder(w).Encode(enrolment.ErrorBody{Error: code})
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case enrolment.StatusPath:
		s.statusHit++
		req, err := enrolment.ParseStatusRequest(body)
		if err != nil {
			fail(enrolment.Code(err))
			return
		}
		st := enrolment.StatusUnknown
		if s.revoked[req.PublicKey] {
			st = enrolment.StatusRevoked
		} else if s.peers[req.PublicKey] != "" {
			st = enrolment.StatusActive
		}
		_ = json.NewEncoder(w).Encode(enrolment.StatusResponse{Status: st})
	case enrolment.Path:
		req, err := enrolment.ParseRequest(body)
		if err != nil {
			fail(enrolment.Code(err))
			return
		}
		s.requests = append(s.requests, req)
		if s.raw != nil {
			s.raw(w)
			return
		}
		if s.refuse != "" {
			fail(s.refuse)
			return
		}
		if enrolment.NormalizeSecret(req.Token) != s.secret {
			fail(enrolment.CodeTokenUnknown)
			return
		}
		status := http.StatusOK
		addr, ok := s.peers[req.PublicKey]
		if !ok {
			addr = netip.AddrFrom4([4]byte{10, 20, 128, byte(s.next)}).String() + "/32"
			s.next++
			s.peers[req.PublicKey] = addr
			status = http.StatusCreated
		}
		resp := enrolment.Response{Addresses: []string{addr}, ServerPublicKey: s.serverKey}
		if s.grantKey != nil {
			doc, sig, err := enrolment.SignGrant(req.PublicKey, []netip.Prefix{netip.MustParsePrefix(addr)}, time.Now(), *s.grantKey)
			if err != nil {
				s.t.Error(err)
			}
			resp.Grant, resp.GrantSignature = string(doc), string(sig)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(resp)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (s *enrolServer) lastRequest() enrolment.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return enrolment.Request{}
	}
	return s.requests[len(s.requests)-1]
}

func (s *enrolServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// enrolMachine is a machine with an empty store, an in-memory keyring and
// the example profile cached, its [enrolment] given by extra.
type enrolMachine struct {
	*Machine
	kr  *secretstest.Keyring
	now time.Time
	mu  sync.Mutex
}

func newEnrolMachine(t *testing.T, managed *config.Managed, enrolSection string) *enrolMachine {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	em := &enrolMachine{kr: secretstest.New(), now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	env := Env{GOOS: "linux", Getenv: func(string) string { return "" },
		Now:   func() time.Time { em.mu.Lock(); defer em.mu.Unlock(); return em.now },
		Seams: Seams{Keyring: func() secrets.Keyring { return em.kr }}}
	em.Machine = &Machine{Env: env, DB: db, Managed: managed}
	body := append(profiletest.Example(t, "https://continuite.example.org", 7), []byte("\n"+enrolSection)...)
	if err := db.SaveProfile(context.Background(), store.CachedProfile{Serial: 7, Bytes: body, SHA256: fmt.Sprintf("%x", sha256.Sum256(body)), Signature: []byte("unchecked"), Source: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	return em
}

func (em *enrolMachine) advance(d time.Duration) {
	em.mu.Lock()
	em.now = em.now.Add(d)
	em.mu.Unlock()
}

func (em *enrolMachine) identity(t *testing.T) (*store.Identity, *tunnel.Key) {
	t.Helper()
	id, err := em.DB.Identity(context.Background())
	if errors.Is(err, store.ErrNotFound) {
		id = nil
	} else if err != nil {
		t.Fatal(err)
	}
	k, err := em.Env.Vault().PrivateKey()
	if errors.Is(err, secrets.ErrNoKey) {
		return id, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return id, &k
}

func section(url string) string { return "[enrolment]\nurl = \"" + url + "\"\n" }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := enrolment.Code(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

// A managed setup token enrols a device with nothing: the key is made
// here and kept in the keyring, only its public half and the token go to
// the server, the answer becomes an enrolled identity. A retry (the answer
// lost) sends the same key again.
func TestEnrolSetupToken(t *testing.T) {
	t.Parallel()
	const tok = "rlst_abcdefghijklmnopqrstuvwxyz234567"
	srv := newEnrolServer(t, tok)
	em := newEnrolMachine(t, &config.Managed{EnrolToken: tok}, section(srv.URL()))
	if plan := em.EnrolPlan(context.Background()); plan.URL != srv.URL() || !plan.HasToken || plan.Host != srv.srv.Listener.Addr().String() {
		t.Fatalf("plan %+v", plan)
	}
	res, err := em.Enrol(context.Background(), EnrolOptions{DeviceName: "PC-ACCUEIL\x07-03"})
	if err != nil {
		t.Fatal(err)
	}
	id, key := em.identity(t)
	if id == nil || key == nil || PublicKey(*key) != id.PublicKey {
		t.Fatalf("identity %+v, key %v", id, key)
	}
	if id.Source != store.SourceEnrolled || id.EnrolURL != srv.URL() || strings.Join(id.Addresses, ",") != "10.20.128.7/32" || res.Reused {
		t.Fatalf("identity %+v, result %+v", id, res)
	}
	req := srv.lastRequest()
	if req.Token != tok || req.PublicKey != id.PublicKey || req.DeviceName != "PC-ACCUEIL-03" {
		t.Fatalf("request %+v", req)
	}
	priv := wgtypes.Key(*key).String()
	for _, r := range srv.requests {
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), priv) {
			t.Fatal("the private key left the device")
		}
	}
	if ev, _ := em.DB.Events(context.Background(), 100); strings.Contains(strings.Join(eventTexts(ev), "\n"), tok) {
		t.Fatal("the token is in the log")
	}

	again, err := em.Enrol(context.Background(), EnrolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := em.identity(t)
	if !again.Reused || id2.PublicKey != id.PublicKey || strings.Join(id2.Addresses, ",") != "10.20.128.7/32" || srv.count() != 2 {
		t.Fatalf("retry: %+v %+v", again, id2)
	}
}

func eventTexts(ev []store.Event) []string {
	var s []string
	for _, e := range ev {
		s = append(s, e.Message)
	}
	return s
}

// A one-time code read over the phone is sent as the server hashes it;
// the managed enrol_url wins over the profile's.
func TestEnrolCodeAndManagedURL(t *testing.T) {
	t.Parallel()
	srv := newEnrolServer(t, "ABCDE-FGHJK")
	em := newEnrolMachine(t, &config.Managed{EnrolURL: srv.URL()}, section("https://ailleurs.example.org/v1/enrol"))
	if _, err := em.Enrol(context.Background(), EnrolOptions{Code: " abcde fghjk "}); err != nil {
		t.Fatal(err)
	}
	if got := srv.lastRequest().Token; got != "ABCDEFGHJK" {
		t.Fatalf("sent %q", got)
	}
}

// Every refusal is coded and leaves the previous identity as it was: the
// keyring's key, the store's record.
func TestEnrolRefusalKeepsIdentity(t *testing.T) {
	t.Parallel()
	grantSK := func() *minisign.PrivateKey {
		_, sk, err := minisign.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return &sk
	}
	otherPK, _, _ := minisign.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name    string
		setup   func(s *enrolServer)
		section func(s *enrolServer) string
		opt     EnrolOptions
		code    string
	}{
		{name: "expired", setup: func(s *enrolServer) { s.refuse = enrolment.CodeTokenExpired }, code: enrolment.CodeTokenExpired},
		{name: "used up", setup: func(s *enrolServer) { s.refuse = enrolment.CodeTokenUsedUp }, code: enrolment.CodeTokenUsedUp},
		{name: "unknown", opt: EnrolOptions{Code: "ZZZZZ-ZZZZZ"}, code: enrolment.CodeTokenUnknown},
		{name: "revoked", setup: func(s *enrolServer) { s.refuse = enrolment.CodeRevoked }, code: enrolment.CodeRevoked},
		{name: "key in use", setup: func(s *enrolServer) { s.refuse = enrolment.CodeKeyInUse }, code: enrolment.CodeKeyInUse},
		{name: "pool exhausted", setup: func(s *enrolServer) { s.refuse = enrolment.CodePoolExhausted }, code: enrolment.CodePoolExhausted},
		{name: "rate limited", setup: func(s *enrolServer) { s.refuse = enrolment.CodeRateLimited }, code: enrolment.CodeRateLimited},
		{name: "proxy error", setup: func(s *enrolServer) {
			s.raw = func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, "<html>bad gateway</html>")
			}
		}, code: enrolment.CodeUnavailable},
		{name: "not json", setup: func(s *enrolServer) {
			s.raw = func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated); _, _ = io.WriteString(w, "<html>") }
		}, code: enrolment.CodeBadAnswer},
		{name: "huge answer", setup: func(s *enrolServer) {
			s.raw = func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"addresses":["10.20.128.9/32"],"x":"`+strings.Repeat("a", enrolment.MaxResponseBytes)+`"}`)
			}
		}, code: enrolment.CodeBadAnswer},
		{name: "network address", setup: func(s *enrolServer) {
			s.raw = func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"addresses":["10.20.0.0/16"],"server_public_key":"`+exampleServerKey+`"}`)
			}
		}, code: enrolment.CodeBadAnswer},
		{name: "another gateway", setup: func(s *enrolServer) { s.serverKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=" }, code: enrolment.CodeServerKeyDiffer},
		{name: "no grant", section: func(s *enrolServer) string {
			pk, _, _ := minisign.GenerateKey(rand.Reader)
			return section(s.URL()) + "public_key = \"" + pk.String() + "\"\n"
		}, code: enrolment.CodeBadAnswer},
		{name: "grant of another key", setup: func(s *enrolServer) { s.grantKey = grantSK() }, section: func(s *enrolServer) string {
			return section(s.URL()) + "public_key = \"" + otherPK.String() + "\"\n"
		}, code: enrolment.CodeBadAnswer},
		{name: "no token", setup: func(s *enrolServer) {}, opt: EnrolOptions{Code: " "}, code: enrolment.CodeNoToken},
		{name: "no url", section: func(*enrolServer) string { return "" }, code: enrolment.CodeNoURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newEnrolServer(t, "rlst_good")
			if tc.setup != nil {
				tc.setup(srv)
			}
			sec := section(srv.URL())
			if tc.section != nil {
				sec = tc.section(srv)
			}
			managed := &config.Managed{EnrolToken: "rlst_good"}
			if tc.code == enrolment.CodeNoToken {
				managed = nil
			}
			em := newEnrolMachine(t, managed, sec)
			// The previous identity: generated here, with a preshared key.
			before, err := em.GenerateIdentity(context.Background(), []string{"10.20.0.3/32"}, false)
			if err != nil {
				t.Fatal(err)
			}
			_ = em.Env.Vault().SetPresharedKey(tunnel.Key{1})
			items := em.kr.Items()
			_, err = em.Enrol(context.Background(), tc.opt)
			wantCode(t, err, tc.code)
			id, _ := em.identity(t)
			if id == nil || id.PublicKey != before.PublicKey || id.Source != "generated" || strings.Join(id.Addresses, ",") != "10.20.0.3/32" {
				t.Fatalf("the identity changed: %+v", id)
			}
			after := em.kr.Items()
			if len(after) != len(items) {
				t.Fatalf("the keyring changed: %d items, had %d", len(after), len(items))
			}
			for k, v := range items {
				if after[k] != v {
					t.Fatalf("the keyring's %s changed", k)
				}
			}
		})
	}
}

// A signed grant that verifies with the profile's [enrolment] key is
// kept beside the identity; that key may not be one of the profile's.
func TestEnrolGrant(t *testing.T) {
	t.Parallel()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := newEnrolServer(t, "rlst_good")
	srv.grantKey = &sk
	sec := section(srv.URL()) + "public_key = \"" + pk.String() + "\"\n"
	em := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, sec)
	res, err := em.Enrol(context.Background(), EnrolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := em.identity(t)
	if !res.Granted || id.Grant == "" || id.GrantSignature == "" {
		t.Fatalf("%+v %+v", res, id)
	}
	if _, err := enrolment.VerifyGrant([]byte(id.Grant), []byte(id.GrantSignature), pk, id.PublicKey); err != nil {
		t.Fatal(err)
	}

	// The same key as a profile key: refused before anything is sent.
	em2 := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, sec)
	em2.Keys = []minisign.PublicKey{pk}
	n := srv.count()
	_, err = em2.Enrol(context.Background(), EnrolOptions{})
	wantCode(t, err, CodeBadGrantKey)
	if srv.count() != n {
		t.Fatal("a request was sent")
	}
}

// An identity imported from IT's .conf is replaced only when asked; an
// adopted key is kept and sent.
func TestEnrolKeepsImportedAndAdoptsKeyring(t *testing.T) {
	t.Parallel()
	srv := newEnrolServer(t, "rlst_good")
	em := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, section(srv.URL()))
	k, _ := wgtypes.GeneratePrivateKey()
	imported := store.Identity{PublicKey: k.PublicKey().String(), Addresses: []string{"10.20.0.9/32"}, Source: "poste.conf", CreatedAt: em.now}
	if err := em.DB.SetIdentity(context.Background(), imported); err != nil {
		t.Fatal(err)
	}
	if err := em.Env.Vault().SetPrivateKey(tunnel.Key(k)); err != nil {
		t.Fatal(err)
	}
	_, err := em.Enrol(context.Background(), EnrolOptions{})
	wantCode(t, err, CodeIdentityImported)
	if srv.count() != 0 {
		t.Fatal("a request was sent")
	}
	res, err := em.Enrol(context.Background(), EnrolOptions{Replace: true})
	if err != nil || res.Reused || res.Identity.PublicKey == imported.PublicKey {
		t.Fatalf("%+v %v", res, err)
	}

	// A key in the keyring with no record: adopted, then enrolled as is.
	em2 := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, section(srv.URL()))
	if err := em2.Env.Vault().SetPrivateKey(tunnel.Key(k)); err != nil {
		t.Fatal(err)
	}
	res, err = em2.Enrol(context.Background(), EnrolOptions{})
	if err != nil || !res.Reused || res.Identity.PublicKey != imported.PublicKey {
		t.Fatalf("%+v %v", res, err)
	}
}

// Without a keyring nothing is sent; a server that does not answer is
// unreachable.
func TestEnrolNoKeyringUnreachable(t *testing.T) {
	t.Parallel()
	srv := newEnrolServer(t, "rlst_good")
	em := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, section(srv.URL()))
	em.kr.Fail(secrets.ErrNoKeyring)
	_, err := em.Enrol(context.Background(), EnrolOptions{})
	var ie *frontend.IdentityError
	if !errors.As(err, &ie) || ie.Code != frontend.IdentityErrNoKeyring || srv.count() != 0 {
		t.Fatalf("%v", err)
	}

	gone := newEnrolServer(t, "rlst_good")
	url := gone.URL()
	gone.srv.Close()
	em2 := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, section(url))
	_, err = em2.Enrol(context.Background(), EnrolOptions{})
	wantCode(t, err, enrolment.CodeUnreachable)
	if strings.Contains(err.Error(), "rlst_good") {
		t.Fatal("the token is in the error")
	}
	if id, key := em2.identity(t); id != nil || key != nil {
		t.Fatalf("an identity was made: %+v", id)
	}
}

// The status endpoint: active, then revoked; a failing handshake asks at
// most once a minute.
func TestEnrolmentStatusAndRevoked(t *testing.T) {
	t.Parallel()
	srv := newEnrolServer(t, "rlst_good")
	em := newEnrolMachine(t, &config.Managed{EnrolToken: "rlst_good"}, section(srv.URL()))
	if em.Revoked(context.Background()) {
		t.Fatal("revoked without an identity")
	}
	res, err := em.Enrol(context.Background(), EnrolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := em.EnrolmentStatus(context.Background()); err != nil || st != enrolment.StatusActive {
		t.Fatalf("%q %v", st, err)
	}
	if em.Revoked(context.Background()) {
		t.Fatal("revoked while active")
	}
	srv.mu.Lock()
	srv.revoked[res.Identity.PublicKey] = true
	hits := srv.statusHit
	srv.mu.Unlock()
	if em.Revoked(context.Background()) {
		t.Fatal("asked again within the minute")
	}
	em.advance(EnrolStatusEvery)
	first, second := em.Revoked(context.Background()), em.Revoked(context.Background())
	if !first || !second {
		t.Fatal("not revoked")
	}
	srv.mu.Lock()
	if srv.statusHit != hits+1 {
		t.Fatalf("%d status requests, want %d", srv.statusHit, hits+1)
	}
	srv.mu.Unlock()
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(`{"status":"revoked"}`))
	f.Add([]byte(`{"status":"active","more":1}`))
	f.Add([]byte(`{"status":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseStatus(data)
		if err != nil && enrolment.Code(err) != enrolment.CodeBadAnswer {
			t.Fatalf("uncoded error %v", err)
		}
		if err == nil && st != enrolment.StatusActive && st != enrolment.StatusRevoked && st != enrolment.StatusUnknown {
			t.Fatalf("status %q", st)
		}
	})
}

func TestStatusURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://relais.example.org/v1/enrol":      "https://relais.example.org/v1/enrol/status",
		"https://relais.example.org/v1/enrol/?x=1": "https://relais.example.org/v1/enrol/status",
	} {
		u, err := statusURL(in)
		if err != nil || u.String() != want {
			t.Errorf("%s: %v %v", in, u, err)
		}
	}
}

// Every enrolment code (the server's and the laptop's) has its sentence
// in both languages, and front ends word it through EnrolError.
func TestEveryEnrolCodeWorded(t *testing.T) {
	t.Parallel()
	if store.SourceEnrolled != frontend.SourceEnrolled {
		t.Fatalf("store says %q, frontend %q", store.SourceEnrolled, frontend.SourceEnrolled)
	}
	seen := map[string]bool{}
	cat := map[string]map[string]string{}
	for _, l := range []string{i18n.FR, i18n.EN} {
		c, err := i18n.Catalog(l)
		if err != nil {
			t.Fatal(err)
		}
		cat[l] = c
	}
	for _, code := range EnrolCodes() {
		if seen[code] {
			t.Errorf("%s twice", code)
		}
		seen[code] = true
		err := EnrolError(&enrolment.Error{Code: code, Detail: "detail"})
		if frontend.EnrolCode(err) != code {
			t.Errorf("%s: EnrolCode %q", code, frontend.EnrolCode(err))
		}
		for _, l := range []string{i18n.FR, i18n.EN} {
			key := frontend.EnrolErrorPrefix + code
			if _, ok := cat[l][key]; !ok {
				t.Errorf("%s: no %s", l, key)
				continue
			}
			if s := frontend.Words(l, err, func(k string, a ...any) string { return i18n.T(l, k, a...) }, nil); s == "" || strings.Contains(s, "detail") {
				t.Errorf("%s %s: %q", l, code, s)
			}
		}
	}
	for _, c := range []string{enrolment.CodeUnreachable, enrolment.CodeBadAnswer, enrolment.CodeServerKeyDiffer, enrolment.CodeNoURL, enrolment.CodeNoToken} {
		if !seen[c] {
			t.Errorf("laptop code %s missing", c)
		}
	}
}
