package diag

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"relais/internal/checks"
	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
	"relais/internal/version"
)

// testNow is when the test bundles are made.
var testNow = time.Date(2026, 11, 5, 14, 30, 0, 0, time.UTC)

// newKey is a real WireGuard-style key: 32 random bytes, clamped as
// Curve25519 private keys are, in standard base64 (44 characters).
func newKey(t testing.TB) string {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	return base64.StdEncoding.EncodeToString(k[:])
}

func reason(code, fr, en, nextFR, nextEN string) *checks.Reason {
	return &checks.Reason{Code: code, Text: profile.Text{FR: fr, EN: en}, Next: profile.Text{FR: nextFR, EN: nextEN}}
}

// sampleReport: Paie fails (timeout), Messagerie is blocked by it, Agenda
// is slow, the Intranet works.
func sampleReport(errText string) *checks.Report {
	at := testNow.Add(-time.Minute)
	return &checks.Report{
		Started: at, Finished: at.Add(4 * time.Second),
		Builtins: map[string]checks.CheckResult{
			"tunnel": {ID: "tunnel", Type: "tunnel", State: checks.StateOK, At: at, Duration: time.Millisecond},
		},
		Apps: []checks.AppResult{
			{ID: "paie", Name: profile.Text{FR: "Paie", EN: "Payroll"}, Criticality: "essential", State: checks.StateFailed, Checks: []checks.CheckResult{{
				ID: "paie-web", AppID: "paie", Type: "http", Target: "https://paie.intra.example.org/sante", Via: "tunnel", State: checks.StateFailed,
				At: at, Duration: 3 * time.Second, Attempts: 2, Error: errText,
				Reason: reason("timeout", "Le serveur de paie ne répond pas.", "The payroll server does not answer.", "Appelez le centre de services au 555-0100.", "Call the service desk at 555-0100."),
			}}},
			{ID: "messagerie", Name: profile.Text{FR: "Messagerie", EN: "Email"}, Criticality: "essential", State: checks.StateBlocked, BlockedBy: []string{"paie"}, Checks: []checks.CheckResult{{
				ID: "messagerie-imaps", AppID: "messagerie", Type: "tls", Target: "imap.intra.example.org:993", Via: "tunnel", State: checks.StateBlocked, At: at,
				Reason: reason("blocked", "Bloquée.", "Blocked.", "", ""),
			}}},
			{ID: "agenda", Name: profile.Text{FR: "Agenda", EN: "Calendar"}, Criticality: "important", State: checks.StateDegraded, Checks: []checks.CheckResult{{
				ID: "agenda-web", AppID: "agenda", Type: "http", Target: "https://agenda.intra.example.org/", Via: "tunnel", State: checks.StateDegraded, At: at, Duration: 2500 * time.Millisecond, Attempts: 1,
				Reason: reason("degraded", "L'agenda répond lentement.", "The calendar answers slowly.", "Patientez.", "Please wait."),
			}}},
			{ID: "intranet", Name: profile.Text{FR: "Intranet", EN: "Intranet"}, Criticality: "optional", State: checks.StateOK, Checks: []checks.CheckResult{{
				ID: "intranet-web", AppID: "intranet", Type: "http", Target: "https://intranet.intra.example.org/", Via: "tunnel", State: checks.StateOK, At: at, Duration: 80 * time.Millisecond, Attempts: 1,
			}}},
		},
	}
}

// planted are secrets hidden in a sample Input, every one of which must
// be absent from every bundle.
type planted struct {
	privateKey, psk, token, password, bearer, ageKey, minisignKey string
	publicIP                                                      string // a public address, in the log and the profile
}

// sampleInput is an Input as the desk builds it, with secrets planted
// everywhere a careless component could leave one.
func sampleInput(t testing.TB) (Input, planted) {
	t.Helper()
	p := planted{
		privateKey: newKey(t), psk: newKey(t), token: "S3CRET-TOKEN-123", password: "hunter2", bearer: "abc.def.ghi",
		ageKey: ageSecretKey(t), publicIP: "198.51.100.7",
	}
	p.minisignKey = minisignSecretKey(t)
	example, err := os.ReadFile(filepath.Join("..", "..", "testdata", "profiles", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	profileTOML := string(example) + `
# planted for the tests
source_url = "https://continuite.example.org/p.toml?token=` + p.token + `"
mirror = "https://user:` + p.password + `@miroir.example.org/relais/p.toml"
endpoint_backup = "` + p.publicIP + `:51820"
`
	tto := 42 * time.Second
	snap := &engine.Snapshot{
		PID: 4242, Phase: engine.PhaseFailed, Started: testNow.Add(-10 * time.Minute),
		Profile: engine.ProfileInfo{Serial: 7, Signed: true, Signature: "valid"},
		Tunnel: tunnel.Status{
			Mode: tunnel.ModeUserspace, Up: true, Endpoint: p.publicIP + ":51820", Addresses: []string{"10.20.9.17/32"},
			LastHandshake: testNow.Add(-12 * time.Second), RxBytes: 1_234_567, TxBytes: 345_678, SOCKS5: "127.0.0.1:1080", HTTPProxy: "127.0.0.1:3128",
		},
		TunnelOwned: true, Report: sampleReport("Get \"https://paie.intra.example.org/sante?access_token=" + p.token + "\": context deadline exceeded"),
		Runs: 3, TimeToOperational: &tto,
		Timeline: []engine.TimelineEntry{
			{At: testNow.Add(-10 * time.Minute), Kind: engine.EventStarted},
			{At: testNow.Add(-10 * time.Minute), Kind: engine.EventTunnelUp, Detail: "endpoint " + p.publicIP + ":51820"},
			{At: testNow.Add(-9 * time.Minute), Kind: engine.EventPhase, Detail: "failed"},
		},
	}
	snap.TunnelAtReport = snap.Tunnel
	run := &drills.Run{
		ID: "run-1", DrillID: "automne-2026", DrillHash: "abc", Drill: profile.Drill{ID: "automne-2026", Title: profile.Text{FR: "Exercice d'automne", EN: "Autumn drill"}},
		ProfileSerial: 7, AppVersion: "0.1.0", Language: "fr", State: drills.RunActive, Started: testNow.Add(-time.Hour),
		Steps: []drills.Step{
			{ID: "connexion", Kind: "action", Required: true, State: drills.StepDone, Evidence: drills.Evidence{Action: "tunnel_up"}},
			{ID: "notes", Kind: "question", Required: false, State: drills.StepFailed, Evidence: drills.Evidence{Note: "j'ai collé ma clé " + p.privateKey + " et password=" + p.password}},
		},
	}
	in := Input{
		App:      version.Info{Version: "0.1.0-test", Commit: "0123456789ab", Go: "go1.26", Fyne: "none", OS: "linux", Arch: "amd64"},
		Language: "fr",
		Snapshot: snap,
		Profile: &ProfileFacts{
			Serial: 7, Signature: "valid", Expires: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), FetchedAt: testNow.Add(-time.Hour),
			Source: "https://continuite.example.org/p.toml?token=" + p.token, TOML: []byte(profileTOML),
		},
		Checks: sampleHistory(p.token),
		Drills: []*drills.Run{run},
		Settings: map[string]string{
			"language": "fr", "tunnel_mode": "auto", "profile_url": "https://continuite.example.org/p.toml?token=" + p.token,
			"api_key": "k-" + p.token,
		},
		Managed: []byte(`# managed by the IT department
profile_url = "https://continuite.example.org/p.toml?token=` + p.token + `"
proxy = "http://proxyuser:` + p.password + `@proxy.example.org:3128"
age_identity = "` + p.ageKey + `"
`),
		PublicKey: newKey(t),
		Log: []LogLine{
			{At: testNow.Add(-5 * time.Minute), Source: "tunnel", Message: "configuring device: private_key=" + p.privateKey},
			{At: testNow.Add(-5 * time.Minute), Source: "tunnel", Message: "[Interface]\nPrivateKey = " + p.privateKey + "\n[Peer]\nPresharedKey = " + p.psk + "\nEndpoint = " + p.publicIP + ":51820"},
			{At: testNow.Add(-4 * time.Minute), Source: "outbox", Message: "POST https://rapports.example.org/r: Authorization: Bearer " + p.bearer},
			{At: testNow.Add(-4 * time.Minute), Source: "profile", Message: "fetching https://continuite.example.org/p.toml?token=" + p.token + "&v=2"},
			{At: testNow.Add(-3 * time.Minute), Source: "profile", Message: "escaped: https%3A%2F%2Fx.example.org%2F%3Ftoken%3D" + p.token + " and " + p.privateKey[:10]},
			{At: testNow.Add(-3 * time.Minute), Source: "key", Message: "minisign key loaded:\n" + p.minisignKey},
			{At: testNow.Add(-2 * time.Minute), Source: "engine", Message: "endpoint " + p.publicIP + " unreachable"},
		},
		Secrets: []string{p.privateKey, p.psk, p.token},
	}
	return in, p
}

// minisignSecretKey is a new minisign secret key as minisign writes it.
func minisignSecretKey(t testing.TB) string {
	t.Helper()
	_, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := priv.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b))
}

// ageSecretKey is a new age identity as age-keygen writes it.
func ageSecretKey(t testing.TB) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// sampleHistory is a short check history, one check failing with a
// token in its detail.
func sampleHistory(token string) []store.CheckRecord {
	var recs []store.CheckRecord
	for i := 0; i < 30; i++ {
		at := testNow.Add(time.Duration(i-30) * time.Minute)
		state, code, detail := "ok", "", `{"id":"paie-web","state":"ok"}`
		if i%3 == 0 {
			state, code = "failed", "timeout"
			detail = `{"id":"paie-web","state":"failed","error":"GET https://paie.intra.example.org/?token=` + token + `: timeout"}`
		}
		recs = append(recs, store.CheckRecord{ID: int64(i + 1), RunAt: at, At: at, CheckID: "paie-web", AppID: "paie", Type: "http", State: state, Duration: 120 * time.Millisecond, ReasonCode: code, DetailJSON: detail})
	}
	return recs
}

// fakeSources are a machine with known facts (one public and one private
// address, a MAC address, a user with a full name).
func fakeSources() *sources {
	files := map[string]string{
		"/etc/os-release":      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
		"/proc/uptime":         "3725.51 7000.02\n",
		"/proc/net/route":      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0164A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\neth0\t0064A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n",
		"/proc/net/ipv6_route": "20010db8000000000000000000000000 20 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n",
		"/etc/resolv.conf":     "# generated\nnameserver 192.168.100.1\nnameserver 2001:db8::53\nsearch corp.example.net\noptions edns0\n",
	}
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	return &sources{
		readFile: func(name string) ([]byte, error) {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		},
		getenv: func(k string) string {
			return map[string]string{"LANG": "fr_CA.UTF-8", "HTTPS_PROXY": "http://proxy.corp.example.net:3128"}[k]
		},
		hostname: func() (string, error) { return "pc-jdupont", nil },
		currentUser: func() (*user.User, error) {
			return &user.User{Username: "jdupont", Name: "Jeanne Dupont,,,", Uid: "1000", HomeDir: "/home/jdupont"}, nil
		},
		kernel: func() (string, error) { return "6.1.0-test-amd64", nil },
		interfaces: func() ([]net.Interface, error) {
			return []net.Interface{{Index: 1, MTU: 65536, Name: "lo", Flags: net.FlagUp | net.FlagLoopback}, {Index: 2, MTU: 1500, Name: "eth0", HardwareAddr: mac, Flags: net.FlagUp | net.FlagBroadcast}}, nil
		},
		addrs: func(i net.Interface) ([]net.Addr, error) {
			if i.Name == "lo" {
				return []net.Addr{&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)}}, nil
			}
			return []net.Addr{
				&net.IPNet{IP: net.ParseIP("192.168.100.23"), Mask: net.CIDRMask(24, 32)},
				&net.IPNet{IP: net.ParseIP("2001:db8::5054:ff:fe12:3456"), Mask: net.CIDRMask(64, 128)},
			}, nil
		},
		lookPath: func(string) (string, error) { return "", os.ErrNotExist },
		command:  func(context.Context, string, ...string) ([]byte, error) { return nil, os.ErrNotExist },
		dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
		},
	}
}

// export makes a bundle into memory.
func export(t testing.TB, in Input, opt Options) ([]byte, *Manifest) {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return testNow }
	}
	var buf bytes.Buffer
	m, err := Export(context.Background(), in, opt, &buf)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes(), m
}

// unzip reads every member of a plain bundle, without Open's checks.
func unzip(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		out[f.Name] = buf.Bytes()
	}
	return out
}

// fileFact is a part of system.json or network.json as the bundle writes
// it: its value and its collector's error.
type fileFact struct {
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}
