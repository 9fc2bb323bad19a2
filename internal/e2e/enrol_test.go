//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/helper/helpertest"
	"relais/internal/i18n"
	"relais/internal/secrets"
	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// The enrolment lab: relais serve listens on the office's end of the veth
// (HTTPS, a certificate of the test's own CA), and hands out addresses of
// enrolPool, inside the profile's address_pool.
const (
	enrolListen      = officeVeth + ":8443"
	enrolURL         = "https://" + enrolListen + "/v1/enrol"
	enrolProfilePool = "10.99.0.0/24"
	enrolPool        = "10.99.0.128/25"
)

// The acceptance, with real parts only. The office namespace runs
// Debian's wireguard-go (no peer at all) and `relais serve` managing it
// ([wireguard], a grant key, a setup token made with `relais serve token
// add`); another device enrols over the wire (POST /v1/enrol) and wg(8)
// lists it. The laptop is a fresh RELAIS_HOME and a fresh gnome-keyring on
// a private session bus, its managed configuration holds enrol_token and
// the signed profile names the server and its grant key in [enrolment].
// Then: relais enrol makes the identity (the key in the keyring, in no
// output); wg(8) in the office lists the peer with its /32; relais check
// reaches the office's app; the system helper brings up exactly the
// granted address; relais serve peer revoke takes the laptop off the
// interface, and its next relais check fails with the plain French
// reason; a one-time code from `relais serve code add` enrols it again
// with a new key, and check passes again; with the server killed, the
// interface deleted and made again (same key, no peers), the restarted
// server puts back the live peers, and not the revoked one.
func TestEnrolmentEndToEnd(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "dbus-daemon", "gnome-keyring-daemon", "wireguard-go", "wg", "curl", "ip")
	l := newLab(t, false)
	l.noOfficePeer = true
	l.startOffice()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// --- The office: relais serve and its files.
	srvDir := filepath.Join(l.dir, "server")
	if err := os.Mkdir(srvDir, 0o700); err != nil {
		t.Fatal(err)
	}
	caFile := writeTLS(t, srvDir, officeVeth)
	grantKey := helpertest.NewKey(t)
	keyText, err := grantKey.Private.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	grantKeyFile := filepath.Join(srvDir, "grant.key")
	if err := os.WriteFile(grantKeyFile, keyText, 0o600); err != nil {
		t.Fatal(err)
	}
	serverToml := filepath.Join(srvDir, "server.toml")
	conf := fmt.Sprintf(`listen = %q
data_dir = %q

[tls]
cert_file = %q
key_file = %q

[wireguard]
interface = %q
pool = [%q]
grant_key_file = %q
`, enrolListen, filepath.Join(srvDir, "data"), filepath.Join(srvDir, "cert.pem"), filepath.Join(srvDir, "key.pem"),
		l.officeWG, enrolPool, grantKeyFile)
	if err := os.WriteFile(serverToml, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var outputs []string // every output of every command, checked for secrets at the end
	inOffice := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.office, testBinary(t)}, args...)...)
		cmd.Env = append(os.Environ(), roleEnv+"=relais", "LANG=en_GB.UTF-8")
		out, err := cmd.CombinedOutput()
		outputs = append(outputs, string(out))
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("relais %s: %v", strings.Join(args, " "), err)
		}
		if code != want {
			t.Fatalf("relais %s (office): exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return string(out)
	}
	server := l.startEnrolServer(serverToml)

	out := inOffice(0, "serve", "token", "add", "--config", serverToml, "--uses", "5", "--expires", "72h")
	tokenAt := len(outputs) - 1
	token := regexp.MustCompile(enrolment.TokenPrefix + `[a-z0-9]+`).FindString(out)
	if token == "" {
		t.Fatalf("relais serve token add printed no setup token:\n%s", out)
	}
	t.Logf("relais serve token add --uses 5 --expires 72h → a setup token of %d characters", len(token))

	// Another device enrols over the wire (POST /v1/enrol), with the same
	// setup token: the server adds its peer with one /32 of the pool.
	other, _ := wgtypes.GeneratePrivateKey()
	otherPub := other.PublicKey().String()
	req, _ := json.Marshal(enrolment.Request{Token: token, PublicKey: otherPub, DeviceName: "poste-2"})
	ans, err := l.inClient("curl", "-sS", "--max-time", "10", "--cacert", caFile, "-H", "Content-Type: application/json",
		"--data-binary", string(req), "-w", "\n%{http_code}", enrolURL)
	if err != nil || !strings.HasSuffix(strings.TrimSpace(ans), "201") {
		t.Fatalf("POST /v1/enrol for a second device: %v: %s", err, ans)
	}
	_, otherAddrs, err := enrolment.ParseResponse([]byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(ans), "201"))))
	if err != nil || len(otherAddrs) != 1 {
		t.Fatalf("the second device's answer: %v %v: %s", otherAddrs, err, ans)
	}
	waitUntil(t, "the second peer on the office's interface", 10*time.Second, func() bool {
		return l.officePeers()[otherPub] == otherAddrs[0]
	})
	if a := otherAddrs[0]; a.Bits() != 32 || !netip.MustParsePrefix(enrolPool).Contains(a.Addr()) {
		t.Fatalf("the second device was given %s, want one /32 of %s", a, enrolPool)
	}
	t.Logf("POST /v1/enrol (curl, another device) → 201 %s; wg show lists it", otherAddrs[0])

	// --- The laptop: the signed profile names the server and its grant
	// key; the managed configuration holds the setup token.
	data, _ := l.profile(1, func(tn *helpertest.Tunnel) {
		tn.AllowedIPs = []string{"10.99.0.0/24"}
		tn.AddressPool = []string{enrolProfilePool}
	})
	data = helpertest.WithEnrolment(data, enrolURL, grantKey.Public.String())
	sig := l.trusted.Sign(data)
	profileFile := filepath.Join(l.dir, "profile.toml")
	if err := os.WriteFile(profileFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(profileFile+".minisig", sig, 0o644); err != nil {
		t.Fatal(err)
	}
	managed, err := os.ReadFile(l.managedPath())
	if err != nil {
		t.Fatal(err)
	}
	managed = append(managed, fmt.Sprintf("profile_file = %q\nenrol_token = %q\n", profileFile, token)...)
	if err := os.WriteFile(l.managedPath(), managed, 0o644); err != nil {
		t.Fatal(err)
	}

	home := filepath.Join(l.dir, "laptop")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	bus := startSessionBus(t, home)
	kr := testenv.StartKeyring(t, home)
	vault := secrets.Vault{Keyring: secrets.Timeout(secrets.OSKeyring(), 5*time.Second)}
	waitUntil(t, "the Secret Service", 15*time.Second, func() bool {
		_, err := vault.PrivateKey()
		if err == nil {
			t.Fatal("a fresh keyring already holds a Relais key")
		}
		return errors.Is(err, secrets.ErrNoKey)
	})
	env := append(os.Environ(), kr.Env...)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus, roleEnv+"=relais", "RELAIS_HOME="+filepath.Join(home, "relais-home"),
		"RELAIS_CONFIG="+l.managedPath(), "SSL_CERT_FILE="+caFile,
		// No helper: relais check uses userspace mode until the system step.
		"RELAIS_HELPER_SOCKET="+filepath.Join(l.dir, "no-helper.sock"))
	laptop := func(want int, lang string, args ...string) cliRun {
		t.Helper()
		cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.client, testBinary(t)}, args...)...)
		cmd.Env = append(append([]string{}, env...), "LANG="+lang)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		r := cliRun{args: strings.Join(args, " "), stdout: o.String(), stderr: e.String()}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			r.code = exit.ExitCode()
		case err != nil:
			t.Fatalf("relais %s: %v", r.args, err)
		}
		outputs = append(outputs, r.stdout, r.stderr)
		if want >= 0 && r.code != want {
			t.Fatalf("relais %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.args, r.code, want, r.stdout, r.stderr)
		}
		return r
	}

	r := laptop(0, "en_GB.UTF-8", "profile", "sync")
	t.Logf("relais profile sync → exit 0: %s", strings.TrimSpace(r.stderr+r.stdout))

	// 1. relais enrol: the key made here, in the keyring; the identity is
	// the server's answer.
	r = laptop(0, "fr_FR.UTF-8", "enrol")
	t.Logf("relais enrol → exit 0: %s", strings.TrimSpace(r.stdout+r.stderr))
	priv, err := vault.PrivateKey()
	if err != nil {
		t.Fatalf("no key in the keyring after relais enrol: %v", err)
	}
	pub := wgtypes.Key(priv).PublicKey().String()

	// 2. The office's interface holds the peer, with one /32 of the pool.
	var granted netip.Prefix
	waitUntil(t, "the peer on the office's interface", 10*time.Second, func() bool {
		granted = l.officePeers()[pub]
		return granted.IsValid()
	})
	if granted.Bits() != 32 || !netip.MustParsePrefix(enrolPool).Contains(granted.Addr()) || granted == otherAddrs[0] {
		t.Fatalf("wg show %s: the peer's allowed IPs are %s, want one /32 of %s", l.officeWG, granted, enrolPool)
	}
	t.Logf("wg show %s allowed-ips → %s %s", l.officeWG, pub, granted)

	// 3. relais check reaches the office's app through the tunnel.
	r = laptop(0, "en_GB.UTF-8", "check", "--mode", "userspace", "--json")
	var doc struct {
		Tunnel *struct {
			Up bool `json:"up"`
		} `json:"tunnel"`
		Apps []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"apps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Tunnel == nil || !doc.Tunnel.Up || len(doc.Apps) != 1 || doc.Apps[0].State != "ok" {
		t.Fatalf("relais check --json: %v\n%s", err, r.stdout)
	}
	t.Logf("relais check --mode userspace --json → exit 0, app %s %s", doc.Apps[0].ID, doc.Apps[0].State)

	// 4. System mode: the helper brings up exactly the granted address
	// (the backend hands it the stored grant).
	l.startHelper("users")
	sysEnv := append(withoutVar(env, "RELAIS_HELPER_SOCKET"), "RELAIS_HELPER_SOCKET="+l.socket(), "LANG=en_GB.UTF-8")
	up := startUp(t, ctx, testBinary(t), sysEnv)
	select {
	case res := <-up.first:
		if res.err != nil {
			t.Fatalf("relais up --mode system --json: %v\n%s", res.err, up.p.output())
		}
		if !res.st.Up || res.st.Mode != tunnel.ModeSystem || fmt.Sprint(res.st.Addresses) != fmt.Sprintf("[%s]", granted) {
			t.Fatalf("relais up --mode system: %+v, want the one address %s", res.st, granted)
		}
	case <-up.p.exited:
		t.Fatalf("relais up exited (%v) before printing its status:\n%s", up.p.exitErr, up.p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("relais up printed nothing in 30s:\n%s", up.p.output())
	}
	// IPv4: exactly the granted address (the profile has no IPv6; the
	// kernel's own fe80:: link-local is no tunnel address).
	addrs, _ := l.inClient("ip", "-o", "-4", "addr", "show", "dev", l.iface)
	if !strings.Contains(addrs, "inet "+granted.String()+" ") || strings.Count(addrs, " inet ") != 1 {
		t.Errorf("the helper's interface holds\n%s\nwant exactly %s", addrs, granted)
	}
	body, err := l.inClient("curl", "--noproxy", "*", "-sS", "--max-time", "10", "http://"+officeTunnel+":8080/")
	if err != nil || body != officePage {
		t.Errorf("curl through the system tunnel: %v: %q", err, body)
	}
	t.Logf("relais up --mode system → %s on %s; curl http://%s:8080/ → %q", granted, l.iface, officeTunnel, body)
	if err := up.p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := up.p.wait(15 * time.Second); err != nil {
		t.Fatalf("relais up after SIGINT: %v\n%s", err, up.p.output())
	}
	outputs = append(outputs, up.p.output())

	// 5. Revoked: off the interface at once, and the next check says so
	// in plain French.
	out = inOffice(0, "serve", "peer", "revoke", "--config", serverToml, pub)
	t.Logf("relais serve peer revoke → exit 0: %s", strings.TrimSpace(out))
	waitUntil(t, "the revoked peer to leave the interface", 10*time.Second, func() bool {
		_, ok := l.officePeers()[pub]
		return !ok
	})
	r = laptop(-1, "fr_FR.UTF-8", "check", "--mode", "userspace")
	said := r.stdout + r.stderr
	t.Logf("relais check after the revocation → exit %d:\n%s", r.code, said)
	if r.code == 0 {
		t.Fatal("relais check passed with a revoked key")
	}
	if want := i18n.T(i18n.FR, "verdict.tunnel.revoked"); !strings.Contains(said, want) || !strings.Contains(want, "ce poste n'est plus autorisé") {
		t.Errorf("relais check does not say %q:\n%s", want, said)
	}
	if strings.Contains(said, enrolment.CodeRevoked) {
		t.Errorf("relais check shows the raw code %q:\n%s", enrolment.CodeRevoked, said)
	}

	// 6. The helpdesk's one-time code enrols the laptop again: a new key
	// (the revoked one is never re-enrolled), a peer for it, and the app
	// reached again.
	codeOut := inOffice(0, "serve", "code", "add", "--config", serverToml, "Camille Martin")
	codeAt := len(outputs) - 1
	code := regexp.MustCompile(`(?m)^([A-Z0-9]{5}-[A-Z0-9]{5})$`).FindString(codeOut)
	if code == "" {
		t.Fatalf("relais serve code add printed no one-time code:\n%s", codeOut)
	}
	r = laptop(0, "fr_FR.UTF-8", "enrol", code)
	t.Logf("relais enrol CODE (after the revocation) → exit 0: %s", strings.TrimSpace(r.stdout+r.stderr))
	priv2, err := vault.PrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub2 := wgtypes.Key(priv2).PublicKey().String()
	if pub2 == pub {
		t.Fatal("the revoked key was enrolled again")
	}
	var granted2 netip.Prefix
	waitUntil(t, "the new peer on the office's interface", 10*time.Second, func() bool {
		granted2 = l.officePeers()[pub2]
		return granted2.IsValid()
	})
	r = laptop(0, "en_GB.UTF-8", "check", "--mode", "userspace", "--json")
	t.Logf("relais check with the new key (%s) → exit 0", granted2)

	// 7. The interface recreated (same key, no peers) while the server is
	// down (SIGKILL): the restarted server puts its live peers back, not the
	// revoked one.
	if err := server.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = server.wait(10 * time.Second)
	outputs = append(outputs, server.output())
	l.ip("-n", l.office, "link", "del", l.officeWG)
	waitUntil(t, "the office's interface to go", 10*time.Second, func() bool {
		return exec.Command("ip", "-n", l.office, "link", "show", l.officeWG).Run() != nil
	})
	// wireguard-go exits with its interface; its socket may linger.
	_ = os.Remove("/var/run/wireguard/" + l.officeWG + ".sock")
	l.startOfficeWG()
	if peers := l.officePeers(); len(peers) != 0 {
		t.Fatalf("the recreated interface has peers: %v", peers)
	}
	server = l.startEnrolServer(serverToml)
	waitUntil(t, "the restarted server to put the peers back", 30*time.Second, func() bool {
		p := l.officePeers()
		return p[otherPub] == otherAddrs[0] && p[pub2] == granted2
	})
	peers := l.officePeers()
	if _, ok := peers[pub]; ok || len(peers) != 2 {
		t.Errorf("after the restart, the interface holds %v: want only %s %s and %s %s", peers, otherPub, otherAddrs[0], pub2, granted2)
	}
	t.Logf("after recreating %s and restarting relais serve: wg show allowed-ips → %v", l.officeWG, peers)
	server.stop(10 * time.Second)
	outputs = append(outputs, server.output())

	// Secrets: the device's private keys, the setup token and the code
	// are in no output (the one place a token or a code is printed is the
	// command that made it, to its maker).
	for i, o := range outputs {
		if strings.Contains(o, priv.String()) || strings.Contains(o, priv2.String()) {
			t.Errorf("output %d shows a private key of the device:\n%s", i, o)
		}
		if i != tokenAt && strings.Contains(o, token) {
			t.Errorf("output %d shows the setup token:\n%s", i, o)
		}
		if i != codeAt && strings.Contains(strings.ToUpper(o), code) {
			t.Errorf("output %d shows the one-time code:\n%s", i, o)
		}
	}
}

// startEnrolServer runs relais serve in the office namespace and waits
// until it listens.
func (l *lab) startEnrolServer(config string) *proc {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.office, testBinary(l.t), "serve", "--config", config)
	cmd.Env = append(os.Environ(), roleEnv+"=relais", "LANG=en_GB.UTF-8")
	p := startProc(l.t, "relais serve", cmd)
	waitUntil(l.t, "relais serve to listen", 30*time.Second, func() bool {
		select {
		case <-p.exited:
			l.t.Fatalf("relais serve exited: %v\n%s", p.exitErr, p.output())
		default:
		}
		return strings.Contains(p.output(), "https://"+enrolListen)
	})
	return p
}

// officePeers is what wg(8) shows of the office interface's peers: each
// public key and its allowed IP (the first).
func (l *lab) officePeers() map[string]netip.Prefix {
	l.t.Helper()
	out, err := exec.Command("ip", "netns", "exec", l.office, "wg", "show", l.officeWG, "allowed-ips").CombinedOutput()
	if err != nil {
		l.t.Fatalf("wg show %s allowed-ips: %v: %s", l.officeWG, err, out)
	}
	peers := map[string]netip.Prefix{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		p, _ := netip.ParsePrefix(f[1])
		peers[f[0]] = p
	}
	return peers
}

// startSessionBus runs a private session dbus-daemon listening on a path
// under dir (a path, not an abstract socket: the laptop's commands run in
// another network namespace) and makes it this test's session bus.
func startSessionBus(t *testing.T, dir string) string {
	t.Helper()
	busDir := filepath.Join(dir, "bus")
	if err := os.Mkdir(busDir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(busDir, "bus.conf")
	text := strings.ReplaceAll(cliBusConfig, "unix:dir=%DIR%", "unix:path="+filepath.Join(busDir, "socket"))
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "dbus-daemon", exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1"))
	addr := strings.TrimSpace(p.firstLine(t, 10*time.Second))
	if addr == "" {
		t.Fatalf("dbus-daemon said no address:\n%s", p.output())
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

// writeTLS makes a CA and a server certificate for ip, writes the CA
// (ca.pem), the certificate (cert.pem) and its key (key.pem, 0600) in dir,
// and returns the CA's path.
func writeTLS(t *testing.T, dir, ip string) string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Relais e2e CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP(ip)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("cert.pem", "CERTIFICATE", leafDER, 0o644)
	write("key.pem", "PRIVATE KEY", keyDER, 0o600)
	return write("ca.pem", "CERTIFICATE", caDER, 0o644)
}
