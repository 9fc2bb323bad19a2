package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"aead.dev/minisign"

	"relais/internal/enrolment"
	"relais/internal/profile/profiletest"
	"relais/internal/secrets/secretstest"
)

// cliEnrolServer speaks the enrolment contract for one secret (the real
// server is tested end to end).
type cliEnrolServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	refuse string
	tokens []string
}

func newCLIEnrolServer(t *testing.T, secret string) *cliEnrolServer {
	s := &cliEnrolServer{secret: enrolment.NormalizeSecret(secret)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		req, err := enrolment.ParseRequest(body)
		code := enrolment.Code(err)
		if err == nil {
			s.tokens = append(s.tokens, req.Token)
			switch {
			case s.refuse != "":
				code = s.refuse
			case enrolment.NormalizeSecret(req.Token) != s.secret:
				code = enrolment.CodeTokenUnknown
			}
		}
		if code != "" {
			w.WriteHeader(enrolment.HTTPStatus(code))
			_ = json.NewEncoder(w).Encode(enrolment.ErrorBody{Error: code})
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(enrolment.Response{Addresses: []string{"10.20.128.7/32"}, ServerPublicKey: "b49b/tJYp/VejjTju4hQ/J1rRbS+yJBkPe64Z6EdAF0="})
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// enrolMachineT is a laptop managed with a signed bootstrap profile
// naming the enrolment server, and a keyring; token is the managed
// enrol_token ("" none).
func enrolMachineT(t *testing.T, srv *cliEnrolServer, token string) (*machineT, *secretstest.Keyring) {
	t.Helper()
	m := newMachine(t)
	kr := secretstest.New()
	m.useKeyring(kr)
	pk, sk := newKey(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "profile.toml")
	o := profiletest.New(t)
	o.Publish(t, sk, 7) // serves the assets the profile pins
	body := append(profiletest.Example(t, o.Base(), 7), []byte("\n[enrolment]\nurl = \""+srv.srv.URL+enrolment.Path+"\"\n")...)
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file+".minisig", minisign.Sign(sk, body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("profile_file = %q\ntrusted_keys = [%q]\n", file, pk.String())
	if token != "" {
		cfg += fmt.Sprintf("enrol_token = %q\n", token)
	}
	if err := os.WriteFile(m.vars["RELAIS_CONFIG"], []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return m, kr
}

// relais enrol with the managed setup token: progress, the addresses,
// the key in the keyring; `relais key show` then says it came from an
// enrolment. Its --json document is like every other.
func TestEnrolCommand(t *testing.T) {
	t.Parallel()
	const tok = "rlst_abcdefghijklmnopqrstuvwxyz234567"
	srv := newCLIEnrolServer(t, tok)
	m, kr := enrolMachineT(t, srv, tok)
	r := m.run("enrol")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	host := strings.TrimPrefix(srv.srv.URL, "http://")
	if !strings.Contains(r.stderr, "Enrôlement auprès de "+host+"…") || !strings.Contains(r.stdout, "Adresses dans le tunnel d'urgence : 10.20.128.7/32") ||
		!strings.Contains(r.stderr, "Ce poste est enrôlé auprès de "+host+".") {
		t.Fatalf("%+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatal("the token is printed")
	}
	if storedKey(kr) == "" {
		t.Fatal("no key in the keyring")
	}
	var shown keyShown
	if err := json.Unmarshal([]byte(m.run("key", "show", "--json").stdout), &shown); err != nil || shown.Identity == nil || shown.Identity.Source != "enrolment" {
		t.Fatalf("key show: %+v %v", shown, err)
	}
	// Again, in English, as JSON: the same key (a retry is idempotent).
	m.vars["LANG"] = "en_GB.UTF-8"
	r = m.run("enrol", "--json")
	doc := auditJSON(t, "enrol --json", r.stdout)
	if r.code != ExitOK || doc["enrolled"] != true || doc["reused_key"] != true || !strings.Contains(r.stderr, "Enrolling with "+host+"…") {
		t.Fatalf("%+v", r)
	}
}

// Every refusal is one sentence in the person's language, with the exit
// code of its kind, and a --json error document.
func TestEnrolCommandRefusals(t *testing.T) {
	t.Parallel()
	srv := newCLIEnrolServer(t, "ACD4F-GHJ7K")
	m, kr := enrolMachineT(t, srv, "")

	r := m.run("enrol")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "L'enrôlement n'a pas abouti : il faut un code d'enrôlement") || !strings.Contains(r.stderr, "relais enrol CODE") {
		t.Fatalf("no code: %+v", r)
	}
	r = m.run("enrol", "xyxyx-yxyxy")
	if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "le serveur ne reconnaît pas ce code") {
		t.Fatalf("unknown code: %+v", r)
	}
	r = m.run("--lang", "en", "enrol", "XYXYX-YXYXY", "--json")
	doc := auditJSON(t, "enrol refused --json", r.stdout)
	if e, _ := doc["error"].(map[string]any); r.code != ExitUnhealthy || e["code"] != enrolment.CodeTokenUnknown || !strings.Contains(fmt.Sprint(e["fr"]), "ne reconnaît pas") {
		t.Fatalf("%+v", r)
	}
	srv.mu.Lock()
	srv.refuse = enrolment.CodeTokenExpired
	srv.mu.Unlock()
	r = m.run("enrol", "acd4f", "ghj7k")
	if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "a expiré") {
		t.Fatalf("expired: %+v", r)
	}
	if storedKey(kr) != "" {
		t.Fatal("a refusal left a key in the keyring")
	}
	srv.mu.Lock()
	srv.refuse = ""
	srv.mu.Unlock()
	r = m.run("enrol", "acd4f", "ghj7k")
	if r.code != ExitOK || srv.tokens[len(srv.tokens)-1] != "ACD4FGHJ7K" {
		t.Fatalf("code in two words: %+v %v", r, srv.tokens)
	}
	if r := m.run("enrol", "a", "b", "c"); r.code != ExitUsage || !strings.Contains(r.stderr, "Usage : relais enrol") {
		t.Fatalf("usage: %+v", r)
	}

	// No server known: exit 2, said.
	bare := newMachine(t)
	bare.useKeyring(secretstest.New())
	r = bare.run("enrol", "ACD4F-GHJ7K")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "aucun serveur d'enrôlement n'est indiqué") {
		t.Fatalf("no url: %+v", r)
	}
}

// With no identity, `relais check` says in French what to do (enrol),
// never the backend's English error.
func TestCheckWithoutIdentityOffersEnrolment(t *testing.T) {
	t.Parallel()
	srv := newCLIEnrolServer(t, "rlst_x")
	m, _ := enrolMachineT(t, srv, "")
	r := m.run("check")
	if strings.Contains(r.stdout+r.stderr, "WireGuard identity yet") || !strings.Contains(r.stdout+r.stderr, "relais enrol") {
		t.Fatalf("%+v", r)
	}
	if r := m.run("key", "show"); !strings.Contains(r.stderr, "relais enrol") {
		t.Fatalf("key show: %+v", r)
	}
}
