package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/engine/verdicttest"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/secrets/secretstest"
	"relais/internal/store"
)

// goDuration is a duration as Go prints it ("20m", "1h0m0s", "1.5s"): a
// person or a script reading a --json document gets *_ms numbers instead.
var goDuration = regexp.MustCompile(`^[0-9.]+(ns|us|µs|ms|s|m|h)([0-9.]+(ns|us|µs|ms|s|m))*$`)

// durationKey is a key whose value is a duration: its name must say the
// unit, _ms.
var durationKey = regexp.MustCompile(`duration|rto|timeout|delay|elapsed|time_to|expected|interval`)

// goField is a key that is a Go field's name (no json tag).
var goField = regexp.MustCompile(`^[A-Z][a-z]`)

// inSeconds are the durations the command line contract gives in seconds.
var inSeconds = map[string]bool{"last_handshake_age_s": true}

// auditJSON checks that out is one --json document as every document must
// be (README, "The command line"): "schema": 1 at the top, texts as
// lower-case {"fr", "en"}, keys in lower case, no zero date for an unknown
// time, no Go duration string, durations in keys ending in _ms, an error
// with its code and texts. It returns the document.
func auditJSON(t *testing.T, name, out string) map[string]any {
	t.Helper()
	fault := func(path, format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf("%s: %s", path, fmt.Sprintf(format, args...))
		t.Errorf("%s: %s", name, msg)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%s: not one JSON object: %v\n%s", name, err, out)
		return nil
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Errorf("%s: more than one document on stdout:\n%s", name, out)
	}
	if doc["schema"] != float64(JSONSchema) {
		t.Errorf("%s: \"schema\" is %v, want %d:\n%s", name, doc["schema"], JSONSchema, out)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			_, fr := v["fr"]
			_, en := v["en"]
			if fr != en {
				fault(path, "a text in one language only: %v", v)
			}
			for k, x := range v {
				p := path + "." + k
				if k == "FR" || k == "EN" {
					fault(p, "texts are {\"fr\", \"en\"} in lower case")
				} else if goField.MatchString(k) {
					fault(p, "a Go field's name, not a key in lower case")
				}
				if durationKey.MatchString(k) && !strings.HasSuffix(k, "_ms") && !inSeconds[k] {
					switch x.(type) {
					case float64, string:
						fault(p, "%v: a duration's key ends in _ms", x)
					}
				}
				if strings.HasSuffix(k, "_ms") {
					if _, ok := x.(float64); !ok && x != nil {
						fault(p, "%#v: a *_ms value is a number (or null)", x)
					}
				}
				walk(p, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case string:
			if strings.Contains(v, "0001-01-01") {
				fault(path, "%q: an unknown time is null", v)
			}
			if goDuration.MatchString(v) {
				fault(path, "%q: a duration is a *_ms number", v)
			}
		}
	}
	walk("$", doc)
	if e, ok := doc["error"].(map[string]any); ok {
		for _, k := range []string{"code", "fr", "en"} {
			if s, _ := e[k].(string); s == "" {
				t.Errorf("%s: the error has no %q: %v", name, k, e)
			}
		}
	}
	return doc
}

// auditVerdict checks that doc, unless it is an error document, carries
// Mode urgence's verdict: its state and its sentence in each language.
func auditVerdict(t *testing.T, name string, doc map[string]any) {
	t.Helper()
	if doc == nil || doc["error"] != nil {
		return
	}
	v, _ := doc["verdict"].(map[string]any)
	text, _ := v["text"].(map[string]any)
	fr, _ := text["fr"].(string)
	en, _ := text["en"].(string)
	if state, _ := v["state"].(string); state == "" || fr == "" || en == "" {
		t.Errorf("%s: no verdict with its state and sentence: %v", name, doc["verdict"])
	}
}

// TestEveryJSONDocument runs every command that takes --json, as it
// succeeds and as it fails, first on a computer without a managed
// configuration (the demo office), then on one managed by a local office,
// and audits each document (auditJSON).
func TestEveryJSONDocument(t *testing.T) {
	t.Parallel()
	kr := secretstest.New()
	prepare := func(m *machineT) *machineT {
		m.useKeyring(kr)
		m.seams.DemoSlowDelay = 900 * time.Millisecond // still above the profile's 800 ms degraded_if
		recordLaunches(m)
		return m
	}
	dir := t.TempDir()
	seen := map[string]bool{}
	audit := func(m *machineT, stdin string, args ...string) map[string]any {
		t.Helper()
		r := m.runIn(stdin, args...)
		c := commandOf(args)
		seen[c] = true
		name := strings.Join(args, " ")
		doc := auditJSON(t, name, r.stdout)
		if c == "status" || c == "check" || (c == "demo" && slices.Contains(args, "--headless")) {
			auditVerdict(t, name, doc)
		}
		return doc
	}

	// Without a managed configuration.
	m := prepare(newMachine(t))
	audit(m, "", "version", "--json")
	audit(m, "", "profile", "lint", "../../testdata/profiles/example.toml", "--json")
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("schema = 1\n[tunnel]\nendpoint = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	audit(m, "", "profile", "lint", bad, "--json")
	audit(m, "", "profile", "verify", "../../testdata/profiles/example.toml", "--json")
	audit(m, "", "profile", "sync", "--json")
	audit(m, "", "profile", "show", "--json")
	audit(m, "", "status", "--json")
	audit(m, "", "check", "--json")
	audit(m, "", "check", "--json", "--mode", "sometimes")
	audit(m, "", "up", "--json")
	audit(m, "", "open", "portail", "--json")
	audit(m, "", "key", "show", "--json")
	audit(m, "", "enrol", "--json") // no enrolment server known
	audit(m, "", "key", "generate", "--json")
	audit(m, "", "key", "generate", "--json") // exists already
	audit(m, "", "key", "show", "--json")
	conf, _ := writeConf(t, auditTunnel(t), nil)
	audit(m, "", "key", "import", conf, "--force", "--json")
	audit(m, "", "key", "import", bad, "--json")
	kr.Fail(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	doc := audit(m, "", "key", "show", "--json")
	// The keyring's error is a code and what to do, the system's words
	// only as the detail.
	if e, _ := doc["keyring_error"].(map[string]any); e["code"] != "no_keyring" || !strings.Contains(fmt.Sprint(e["fr"]), "GNOME Keyring") ||
		!strings.Contains(fmt.Sprint(e["en"]), "GNOME Keyring") || !strings.Contains(fmt.Sprint(e["detail"]), "ServiceUnknown") {
		t.Errorf("key show without a keyring: keyring_error %v", doc["keyring_error"])
	}
	audit(m, "", "key", "generate", "--json")
	kr.Fail(nil)
	audit(m, "", "drill", "list", "--json")
	audit(m, "", "drill", "status", "--json")
	if r := m.runIn("q\n", "drill", "start", "demo"); r.code != ExitOK {
		t.Fatalf("drill start, then stop: %+v", r)
	}
	audit(m, "", "drill", "status", "--json") // a run under way
	audit(m, "", "diag", "export", "-o", dir, "--json")
	audit(m, "", "diag", "export", "--anonymize", "max", "--json")
	audit(m, "", "demo", "--headless", "--json")
	audit(m, "", "status", "--json") // what the demo recorded
	audit(m, "", "status", "--json", "extra")

	// Managed, but no profile could be fetched yet.
	m = prepare(newMachine(t))
	pk, _ := newKey(t)
	m.manage("http://127.0.0.1:1/profile.toml", "", pk)
	audit(m, "", "profile", "sync", "--json")
	audit(m, "", "check", "--json")
	audit(m, "", "status", "--json")
	audit(m, "", "drill", "list", "--json")
	audit(m, "", "open", "portail", "--json")

	// Managed by an office.
	_, m = officeMachine(t, office.Options{})
	prepare(m)
	audit(m, "", "profile", "sync", "--json")
	audit(m, "", "profile", "show", "--json")
	doc = audit(m, "", "check", "--json", "--mode", "userspace")
	// The same sentence as the table says.
	verdict, _ := doc["verdict"].(map[string]any)
	text, _ := verdict["text"].(map[string]any)
	if r := m.run("check", "--mode", "userspace"); text["fr"] == nil || !strings.Contains(r.stdout, fmt.Sprint(text["fr"])+"\n") {
		t.Errorf("check --json says the verdict %v, check says:\n%s", verdict, r.stdout)
	}
	audit(m, "", "status", "--json")
	audit(m, "", "open", "portail", "--json") // no tunnel up
	audit(m, "", "drill", "list", "--json")

	// The server's enrolled laptops, one of them revoked.
	srv := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(srv, []byte("data_dir = \""+filepath.Join(dir, "server-data")+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enrolAuditPeers(t, filepath.Join(dir, "server-data"))
	audit(m, "", "serve", "peer", "list", "--all", "--json", "--config", srv)
	audit(m, "", "serve", "peer", "list", "--json", "--config", filepath.Join(dir, "missing.toml"))

	// The commands that stay in the foreground print their document once
	// the tunnel is up.
	for _, args := range [][]string{{"up", "--json", "--mode", "userspace"}, {"demo", "--json"}} {
		ctx, stop := context.WithCancel(context.Background())
		out, errb, done := m.start(ctx, args...)
		seen[commandOf(args)] = true
		deadline := time.Now().Add(30 * time.Second)
		for !strings.HasSuffix(out.String(), "}\n") {
			select {
			case c := <-done:
				t.Fatalf("%v exited %d\n%s\n%s", args, c, out, errb)
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("%v printed no document\n%s", args, errb)
			}
		}
		auditJSON(t, strings.Join(args, " "), out.String())
		if args[0] == "up" {
			audit(m, "", "status", "--json") // a tunnel up
			audit(m, "", "open", "portail", "--json")
		}
		stop()
		<-done
	}

	// Every command that takes --json was run.
	var missed []string
	for _, c := range jsonCommands(t) {
		if !seen[c] {
			missed = append(missed, c)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("not audited: %v", missed)
	}
}

// commandOf is the command an argument list runs ("drill list").
func commandOf(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") || strings.ContainsAny(a, "/.") {
			break
		}
		words = append(words, a)
		if len(words) == 3 || isLeaf(words) {
			break
		}
	}
	name := strings.Join(words, " ")
	for _, c := range commands() {
		if c.name == words[0] && c.subs == nil {
			return c.name
		}
	}
	return name
}

// isLeaf tells whether words name a command of the table that has no
// subcommand ("drill list", "serve peer list").
func isLeaf(words []string) bool {
	table := commands()
	for i, w := range words {
		c, ok := findCommand(table, w)
		if !ok {
			return false
		}
		if c.subs == nil {
			return i == len(words)-1
		}
		table = c.subs
	}
	return false
}

// jsonCommands lists the commands of the table that take --json.
func jsonCommands(t *testing.T) []string {
	var names []string
	var walk func(prefix string, cs []command)
	walk = func(prefix string, cs []command) {
		for _, c := range cs {
			name := strings.TrimSpace(prefix + " " + c.name)
			if c.subs != nil {
				walk(name, c.subs)
				continue
			}
			if c.name == "help" || c.name == "man" {
				continue
			}
			if fs := flagsOf(context.Background(), &run{lang: "fr"}, c); fs != nil && fs.Lookup("json") != nil {
				names = append(names, name)
			}
		}
	}
	walk("", commands())
	if len(names) < 10 {
		t.Fatalf("only %d commands take --json: %v", len(names), names)
	}
	return names
}

// auditTunnel is a tunnel section for a .conf to import on a computer
// without a profile.
func auditTunnel(t *testing.T) profile.Tunnel {
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return profile.Tunnel{Endpoint: "vpn.example.org:51820", ServerPublicKey: k.PublicKey().String(), AllowedIPs: []string{"10.20.0.0/16"}}
}

// A drill without a window says so with null, never a zero date; its
// recovery-time objective is a number of milliseconds.
func TestDrillListJSONWithoutWindow(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(newDrillListJSON(drills.Listed{Drill: profile.Drill{ID: "d", RTO: "20m"}, Window: drills.WindowClosed}))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["opens"] != nil || doc["closes"] != nil || doc["rto_ms"] != float64(1200000) || doc["rto"] != nil {
		t.Fatalf("drill list item: %s", b)
	}
	opens := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	b, _ = json.Marshal(newDrillListJSON(drills.List(&profile.Profile{Drills: []profile.Drill{{ID: "d", RTO: "1h30m", Opens: opens, Closes: opens.Add(time.Hour)}}}, nil, opens)[0]))
	if !strings.Contains(string(b), `"opens":"2026-03-02T09:00:00Z"`) || !strings.Contains(string(b), `"rto_ms":5400000`) || !strings.Contains(string(b), `"window":"open"`) {
		t.Fatalf("drill list item: %s", b)
	}
}

// A delivery's receipt is null when the receiver gave none (never a zero
// date or a zero number), else its number and the receiver's RFC 3339 time.
func TestDeliveryJSONReceipt(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 7, 50, 0, 0, time.UTC)
	b, err := json.Marshal(newDeliveryJSON(frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 1, Delivered: at}))
	if err != nil || !strings.Contains(string(b), `"receipt":null`) {
		t.Fatalf("delivery without a receipt: %s %v", b, err)
	}
	b, _ = json.Marshal(newDeliveryJSON(frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 1, Delivered: at,
		ReceiptID: 12, Received: at.Add(-time.Second)}))
	if !strings.Contains(string(b), `"receipt":{"id":12,"received":"2026-12-06T07:49:59Z"}`) {
		t.Fatalf("delivery with a receipt: %s", b)
	}
}

// `relais status --json` carries the verdict the engine recorded, in the
// words `relais status` and every screen say (verdicttest); unknown when
// the process went away without recording its end; off when Mode urgence
// never recorded anything.
func TestStatusJSONCarriesTheOneVerdict(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	verdictOf := func() (state string, text textJSON) {
		t.Helper()
		r := m.run("status", "--json")
		var doc struct {
			Verdict struct {
				State string   `json:"state"`
				Text  textJSON `json:"text"`
			} `json:"verdict"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("status --json: %v\n%s", err, r.stdout)
		}
		return doc.Verdict.State, doc.Verdict.Text
	}
	if state, text := verdictOf(); state != "off" || text.FR != i18n.T(i18n.FR, "verdict.off") || text.EN != i18n.T(i18n.EN, "verdict.off") {
		t.Errorf("nothing recorded: %s %+v", state, text)
	}
	if err := os.MkdirAll(m.vars["RELAIS_HOME"], 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	record := func(s engine.Snapshot, pid int) {
		t.Helper()
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RecordLive(context.Background(), store.LiveRecord{PID: pid, SnapshotJSON: string(b), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range verdicttest.Cases(time.Now()) {
		s := c.Snap
		s.Verdict = engine.Judge(s) // as the engine records it
		record(s, os.Getpid())
		state, text := verdictOf()
		if state != string(s.Verdict.Level) || text.FR != c.Text("fr") || text.EN != c.Text("en") {
			t.Errorf("%s: verdict %s %+v, want %s %q %q", c.Name, state, text, s.Verdict.Level, c.Text("fr"), c.Text("en"))
		}
		if r := m.run("status"); !strings.Contains(r.stdout, text.FR+"\n") {
			t.Errorf("%s: status says otherwise than its document:\n%s", c.Name, r.stdout)
		}
	}
	s := verdicttest.Cases(time.Now())[0].Snap
	s.Verdict = engine.Judge(s)
	// One live record per process: this one's goes, as at the end of its
	// Mode urgence, and a process that is gone left its own behind.
	if err := db.ClearLive(context.Background(), os.Getpid()); err != nil {
		t.Fatal(err)
	}
	record(s, 1<<22+12345) // a process that is gone
	if state, text := verdictOf(); state != "unknown" || text.FR != i18n.T(i18n.FR, "verdict.unknown") {
		t.Errorf("process gone: %s %+v", state, text)
	}
}

// `relais status` without a cached profile says to run `relais profile
// sync`; without a managed configuration, which that command needs, it
// points at the demo instead. Its document is one, with "schema": 1.
func TestStatusWithoutProfilePointsAtTheDemo(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	for _, lang := range []string{"fr", "en"} {
		r := m.run("status", "--lang", lang)
		if !strings.Contains(r.stdout, "relais demo --headless") || strings.Contains(r.stdout+r.stderr, "relais profile sync") {
			t.Errorf("%s, no managed configuration: %+v", lang, r)
		}
	}
	if doc := auditJSON(t, "status --json", m.run("status", "--json").stdout); doc["profile"] != nil {
		t.Errorf("status --json: profile %v", doc["profile"])
	}
	pk, _ := newKey(t)
	m.manage("https://relais.invalid/profile.toml", "", pk)
	for _, lang := range []string{"fr", "en"} {
		r := m.run("status", "--lang", lang)
		if !strings.Contains(r.stdout, "relais profile sync") || strings.Contains(r.stdout, "relais demo") {
			t.Errorf("%s, managed, no profile yet: %+v", lang, r)
		}
	}
	auditJSON(t, "status --json", m.run("status", "--json").stdout)
}
