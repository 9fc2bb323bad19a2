package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/server/db"
	"relais/internal/testenv"
)

// enrolCLI runs relais serve token|code|peer on a server configuration
// in dir (SQLite), in French unless --lang says otherwise.
type enrolCLI struct {
	t   *testing.T
	dir string
	cfg string
}

func newEnrolCLI(t *testing.T, extra string) *enrolCLI {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(cfg, []byte("data_dir = \""+filepath.Join(dir, "data")+"\"\n"+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return &enrolCLI{t: t, dir: dir, cfg: cfg}
}

func (c *enrolCLI) run(args ...string) (int, string, string) {
	c.t.Helper()
	stderr := &lockedBuffer{}
	env := serveEnv(c.dir, stderr)
	var out bytes.Buffer
	env.Stdout = &out
	code := Main(context.Background(), append(append([]string{"serve"}, args...), "--config", c.cfg), env)
	return code, out.String(), stderr.String()
}

func (c *enrolCLI) open() *db.DB {
	c.t.Helper()
	d, err := db.Open(context.Background(), db.Options{DataDir: filepath.Join(c.dir, "data")})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { d.Close() })
	return d
}

// dataContains tells whether any file of the database holds s.
func (c *enrolCLI) dataContains(s string) bool {
	files, _ := filepath.Glob(filepath.Join(c.dir, "data", "*"))
	for _, f := range files {
		if raw, err := os.ReadFile(f); err == nil && bytes.Contains(raw, []byte(s)) {
			return true
		}
	}
	return false
}

var tokenLine = regexp.MustCompile(`^(rlst_[a-z2-7]{32})\nenrol_token = "(rlst_[a-z2-7]{32})"\n$`)

// token add prints the token once, then the managed configuration's line;
// the database keeps its hash only, and the token enrols. list shows
// uses, expiry and state, never the secret; revoke stops it.
func TestServeToken(t *testing.T) {
	t.Parallel()
	c := newEnrolCLI(t, "")
	code, out, errText := c.run("token", "add", "--uses", "3000", "--expires", "30d", "--name", "rentree-2027")
	m := tokenLine.FindStringSubmatch(out)
	if code != ExitOK || m == nil || m[1] != m[2] {
		t.Fatalf("add: %d %q %q", code, out, errText)
	}
	tok := m[1]
	for _, want := range []string{"Jeton d'installation rentree-2027 créé : 3\u00a0000 postes au plus, valable jusqu'au", "ne sera plus jamais affiché"} {
		if !strings.Contains(errText, want) {
			t.Errorf("add: %q lacks %q", errText, want)
		}
	}
	if strings.Contains(errText, tok) {
		t.Error("the token is printed twice")
	}
	if c.dataContains(tok) {
		t.Fatal("the token is in the database in clear")
	}
	d := c.open()
	res, err := d.Enrol(context.Background(), db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: wgKey(t), DeviceName: "PC-1",
		Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}, Source: "192.0.2.1"})
	if err != nil || res.Peer.Via != "token:rentree-2027" {
		t.Fatalf("the printed token does not enrol: %+v %v", res, err)
	}
	if code, _, errText := c.run("token", "add", "--uses", "1", "--name", "rentree-2027"); code != ExitUsage || !strings.Contains(errText, "existe déjà") {
		t.Fatalf("same name: %d %q", code, errText)
	}
	code, out, _ = c.run("token", "add", "--uses", "1")
	if code != ExitOK || !tokenLine.MatchString(out) {
		t.Fatalf("add with a default name: %d %q", code, out)
	}
	code, out, _ = c.run("token", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "rentree-2027\t1/3000\t") || !strings.HasSuffix(lines[0], "\tactif") ||
		!strings.HasPrefix(lines[1], "setup-") || strings.Contains(out, "rlst_") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, errText := c.run("token", "revoke", "rentree-2027"); code != ExitOK || !strings.Contains(errText, "révoqué") {
		t.Fatalf("revoke: %d %q", code, errText)
	}
	if _, err := d.Enrol(context.Background(), db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: wgKey(t), DeviceName: "PC-2",
		Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}}); err == nil {
		t.Fatal("a revoked token enrols")
	}
	if _, out, _ := c.run("token", "list", "--lang", "en"); !strings.Contains(out, "rentree-2027\t1/3000\t") || !strings.Contains(out, "\trevoked\n") {
		t.Fatalf("list after revoke: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "add", "--uses", "0"}, "Indiquez combien de postes"},
		{[]string{"token", "add"}, "Indiquez combien de postes"},
		{[]string{"token", "add", "--uses", "5", "--expires", "demain"}, "Durée de validité « demain » illisible"},
		{[]string{"token", "add", "--uses", "5", "--expires", "-3h"}, "illisible"},
		{[]string{"token", "add", "--uses", "5", "--expires", "400d"}, "illisible"},
		{[]string{"token", "add", "--uses", "5", "--name", "un nom"}, "Un nom de jeton"},
		{[]string{"token", "add", "--uses", "5", "--expires", "30d", "--lang", "en"}, ""},
		{[]string{"token", "revoke", "nothing"}, "Aucun jeton d'installation nommé nothing"},
		{[]string{"token", "revoke", "rentree-2027"}, "Aucun jeton d'installation nommé rentree-2027"},
		{[]string{"token", "revoke"}, "Usage : relais serve token"},
		{[]string{"token", "list", "stray"}, "Usage : relais serve token"},
	} {
		code, _, errText := c.run(tc.args...)
		if tc.want == "" {
			if code != ExitOK || !strings.Contains(errText, "at most 5 laptops") {
				t.Errorf("%v: %d %q", tc.args, code, errText)
			}
			continue
		}
		if code != ExitUsage || !strings.Contains(errText, tc.want) {
			t.Errorf("%v: %d %q, want %q", tc.args, code, errText, tc.want)
		}
	}
	if toks, _ := d.SetupTokens(context.Background()); len(toks) != 3 {
		t.Fatalf("refused commands stored tokens: %+v", toks)
	}
}

// code add prints a one-time code XXXXX-XXXXX and its expiry in the
// reader's words; it is stored hashed and enrols one laptop.
func TestServeCode(t *testing.T) {
	t.Parallel()
	c := newEnrolCLI(t, "")
	code, out, errText := c.run("code", "add", "Marie Dupont", "--valid", "2h")
	secret := strings.TrimSpace(out)
	if code != ExitOK || !regexp.MustCompile(`^[A-Z0-9]{5}-[A-Z0-9]{5}$`).MatchString(secret) || !enrolment.IsCode(secret) {
		t.Fatalf("add: %d %q %q", code, out, errText)
	}
	if !strings.Contains(errText, "Code d'enrôlement pour Marie Dupont, valable jusqu'au ") || !strings.Contains(errText, "(2 h)") ||
		!strings.Contains(errText, "ne sera plus jamais affiché") {
		t.Errorf("add: %q", errText)
	}
	if c.dataContains(secret) || c.dataContains(enrolment.NormalizeSecret(secret)) {
		t.Fatal("the code is in the database in clear")
	}
	d := c.open()
	codes, err := d.EnrolCodes(context.Background(), false)
	if err != nil || len(codes) != 1 || codes[0].Person != "Marie Dupont" || codes[0].CreatedBy != "cli" ||
		codes[0].Expires.Sub(codes[0].CreatedAt).Round(time.Minute) != 2*time.Hour {
		t.Fatalf("stored: %+v %v", codes, err)
	}
	if _, err := d.Enrol(context.Background(), db.EnrolRequest{Hash: enrolment.Hash(secret), IsCode: true, PublicKey: wgKey(t),
		DeviceName: "PC-MARIE", Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}}); err != nil {
		t.Fatalf("the printed code does not enrol: %v", err)
	}
	_, _, errText = c.run("code", "add", "John Smith", "--lang", "en")
	if !strings.Contains(errText, "Enrolment code for John Smith, valid until ") || !strings.Contains(errText, "(8 h)") {
		t.Errorf("English: %q", errText)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"code", "add"}, "Usage : relais serve code add"},
		{[]string{"code", "add", "  "}, "Indiquez le nom de la personne"},
		{[]string{"code", "add", "a\x1bb"}, "Indiquez le nom de la personne"},
		{[]string{"code", "add", "Marie", "--valid", "8 jours"}, "Durée de validité « 8 jours » illisible"},
		{[]string{"code", "add", "Marie", "--valid", "30d"}, "illisible"},
	} {
		if code, _, errText := c.run(tc.args...); code != ExitUsage || !strings.Contains(errText, tc.want) {
			t.Errorf("%v: %d %q, want %q", tc.args, code, errText, tc.want)
		}
	}
}

// peer list shows the enrolled laptops (--all the revoked too, --json a
// document); peer revoke revokes by key or number, says an unknown one
// plainly, and without [wireguard] has nothing else to remove.
func TestServePeer(t *testing.T) {
	t.Parallel()
	c := newEnrolCLI(t, "")
	d := c.open()
	ctx := context.Background()
	var peers []db.Peer
	for i, name := range []string{"PC-COMPTA-01", "PORTABLE-RH-07"} {
		tok := enrolment.NewSetupToken()
		if err := d.AddSetupToken(ctx, "t"+string(rune('a'+i)), enrolment.Hash(tok), 1, time.Now().Add(time.Hour), "test"); err != nil {
			t.Fatal(err)
		}
		res, err := d.Enrol(ctx, db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: wgKey(t), DeviceName: name,
			Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}})
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, res.Peer)
	}
	if code, out, _ := c.run("peer", "list"); code != ExitOK || strings.Count(out, "\n") != 2 || !strings.Contains(out, "\tPC-COMPTA-01\t10.20.128.1/32\t") ||
		!strings.Contains(out, peers[1].PublicKey) {
		t.Fatalf("list: %d %q", code, out)
	}
	code, _, errText := c.run("peer", "revoke", peers[0].PublicKey)
	if code != ExitOK || !strings.Contains(errText, "Poste PC-COMPTA-01 révoqué (adresses 10.20.128.1/32)") || !strings.Contains(errText, "[wireguard] absent") {
		t.Fatalf("revoke by key: %d %q", code, errText)
	}
	if code, _, errText := c.run("peer", "revoke", peers[0].PublicKey); code != ExitUsage || !strings.Contains(errText, "Aucun poste enrôlé ne correspond") {
		t.Fatalf("revoke twice: %d %q", code, errText)
	}
	for _, bad := range []string{"99999", "not-a-key", ""} {
		if code, _, errText := c.run("peer", "revoke", bad); code != ExitUsage || !strings.Contains(errText, "Aucun poste enrôlé ne correspond") {
			t.Errorf("revoke %q: %d %q", bad, code, errText)
		}
	}
	if code, out, _ := c.run("peer", "list"); code != ExitOK || strings.Contains(out, "PC-COMPTA-01") {
		t.Fatalf("list after revoke: %q", out)
	}
	code, out, _ := c.run("peer", "list", "--all", "--json")
	var doc struct {
		Schema int        `json:"schema"`
		Peers  []peerJSON `json:"peers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != ExitOK || err != nil || doc.Schema != 1 || len(doc.Peers) != 2 {
		t.Fatalf("--json: %d %v %s", code, err, out)
	}
	for _, p := range doc.Peers {
		revoked := p.DeviceName == "PC-COMPTA-01"
		if revoked != (p.State == db.PeerRevoked) || revoked != (p.RevokedAt != nil) || revoked && p.RevokedBy != "cli" ||
			len(p.Addresses) != 1 || p.EnrolledAt.IsZero() {
			t.Errorf("--json peer: %+v", p)
		}
	}
	if code, _, errText := c.run("peer", "revoke", "2", "--lang", "en"); code != ExitOK || !strings.Contains(errText, "Laptop PORTABLE-RH-07 revoked") {
		t.Fatalf("revoke by number: %d %q", code, errText)
	}
	if code, out, errText := c.run("peer", "list"); code != ExitOK || out != "" || !strings.Contains(errText, "Aucun poste enrôlé") {
		t.Fatalf("empty list: %q %q", out, errText)
	}
}

// With [wireguard] naming an interface this machine does not have, peer
// revoke still revokes, and says the running server removes the peer
// within reconcile_interval.
func TestServePeerRevokeInterfaceAway(t *testing.T) {
	t.Parallel()
	c := newEnrolCLI(t, "[wireguard]\ninterface = \"relais-absent9\"\npool = [\"10.20.128.0/24\"]\nreconcile_interval = \"45s\"\n")
	d := c.open()
	ctx := context.Background()
	tok := enrolment.NewSetupToken()
	if err := d.AddSetupToken(ctx, "t", enrolment.Hash(tok), 1, time.Now().Add(time.Hour), "test"); err != nil {
		t.Fatal(err)
	}
	res, err := d.Enrol(ctx, db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: wgKey(t), DeviceName: "PC-1",
		Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errText := c.run("peer", "revoke", res.Peer.PublicKey)
	if code != ExitOK || !strings.Contains(errText, "Poste PC-1 révoqué") ||
		!strings.Contains(errText, "Impossible de le retirer d'ici de l'interface relais-absent9 ; le serveur en marche l'en retire dans les 45 s qui viennent") {
		t.Fatalf("revoke: %d %q", code, errText)
	}
	if live, _ := d.Peers(ctx, false); len(live) != 0 {
		t.Fatalf("still live: %+v", live)
	}
}

func wgKey(t testing.TB) string {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{"72h": 72 * time.Hour, "90m": 90 * time.Minute, "30d": 30 * 24 * time.Hour,
		" 1h30m ": 90 * time.Minute, "1m": time.Minute, "366d": 366 * 24 * time.Hour} {
		if got, err := ParseLifetime(in, time.Minute, maxTokenLifetime); err != nil || got != want {
			t.Errorf("ParseLifetime(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "59s", "-1h", "367d", "d", "1.5d", "3 jours", "1e9h", "9999999999999h", "1hd"} {
		if got, err := ParseLifetime(in, time.Minute, maxTokenLifetime); err == nil {
			t.Errorf("ParseLifetime(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"72h", "30d", "1h30m", "-1d", "d", "0d", "99999999999999999999d", "1µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseLifetime(s, minSecretLifetime, maxTokenLifetime)
		if err == nil && (d < minSecretLifetime || d > maxTokenLifetime) {
			t.Fatalf("ParseLifetime(%q) = %v, out of range", s, d)
		}
	})
}

// enrolAuditPeers enrols two laptops in the server database of dataDir
// and revokes one, for TestEveryJSONDocument.
func enrolAuditPeers(t *testing.T, dataDir string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i, name := range []string{"PC-1", "PC-2"} {
		tok := enrolment.NewSetupToken()
		if err := d.AddSetupToken(ctx, "t"+string(rune('a'+i)), enrolment.Hash(tok), 1, time.Now().Add(time.Hour), "test"); err != nil {
			t.Fatal(err)
		}
		res, err := d.Enrol(ctx, db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: wgKey(t), DeviceName: name,
			Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := d.RevokePeer(ctx, res.Peer.PublicKey, "cli"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// peer revoke against a real wireguard-go interface (in a network
// namespace; wgctrl reaches it through its UAPI socket): the peer is
// revoked in the database and gone from the interface, the other stays.
func TestServePeerRevokeRemovesFromInterface(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "wireguard-go", "wg", "ip")
	id := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	ns, ifc := "rls2"+id, "wgs2"+id
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	cmd := exec.Command("ip", "netns", "exec", ns, "wireguard-go", "-f", ifc)
	cmd.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error")
	var wgOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &wgOut, &wgOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join("/var/run/wireguard", ifc+".sock")
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.Remove(sock)
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("wireguard-go did not start: %s", wgOut.String())
		}
	}
	wg := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "wg"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("wg %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	priv, _ := wgtypes.GeneratePrivateKey()
	keyFile := filepath.Join(t.TempDir(), "wg.key")
	if err := os.WriteFile(keyFile, []byte(priv.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wg("set", ifc, "private-key", keyFile, "listen-port", "51821")

	c := newEnrolCLI(t, "[wireguard]\ninterface = \""+ifc+"\"\npool = [\"10.20.128.0/24\"]\n")
	d := c.open()
	ctx := context.Background()
	var peers []db.Peer
	for i, name := range []string{"PC-1", "PC-2"} {
		tok := enrolment.NewSetupToken()
		if err := d.AddSetupToken(ctx, "t"+string(rune('a'+i)), enrolment.Hash(tok), 1, time.Now().Add(time.Hour), "test"); err != nil {
			t.Fatal(err)
		}
		res, err := d.Enrol(ctx, db.EnrolRequest{Hash: enrolment.Hash(tok), PublicKey: wgKey(t), DeviceName: name,
			Pools: []netip.Prefix{netip.MustParsePrefix("10.20.128.0/24")}})
		if err != nil {
			t.Fatal(err)
		}
		wg("set", ifc, "peer", res.Peer.PublicKey, "allowed-ips", res.Peer.Addresses[0].String())
		if err := d.ActivatePeer(ctx, res.Peer.ID); err != nil {
			t.Fatal(err)
		}
		peers = append(peers, res.Peer)
	}
	code, _, errText := c.run("peer", "revoke", strconv.FormatInt(peers[0].ID, 10))
	if code != ExitOK || !strings.Contains(errText, "Poste PC-1 révoqué") || !strings.Contains(errText, "Il est retiré de l'interface "+ifc) {
		t.Fatalf("revoke: %d %q", code, errText)
	}
	on := wg("show", ifc, "peers")
	if strings.Contains(on, peers[0].PublicKey) || !strings.Contains(on, peers[1].PublicKey) {
		t.Fatalf("the interface holds:\n%s", on)
	}
	if live, _ := d.Peers(ctx, false); len(live) != 1 || live[0].ID != peers[1].ID {
		t.Fatalf("live peers: %+v", live)
	}
}
