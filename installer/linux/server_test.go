package linux_test

// The relais-server .deb and .rpm (package-server.sh): built from the
// build without the window only (these tests never build the app), linted,
// their unit verified and scored, the shipped binary serving /healthz with
// the shipped configuration, and a real install, run, remove and purge
// in a Debian root made by debootstrap.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	srvconfig "relais/internal/server/config"
	"relais/internal/testenv"
)

// serverShipped is every file of the relais-server .deb, without
// directories, with its owner and mode.
var serverShipped = map[string]string{
	"/usr/bin/relais-server":                               "root:root 755",
	"/lib/systemd/system/relais-server.service":            "root:root 644",
	"/etc/relais/server.toml":                              "root:relais-server 640",
	"/usr/share/doc/relais-server/copyright":               "root:root 644",
	"/usr/share/doc/relais-server/examples/wireguard.conf": "root:root 644",
	"/usr/share/doc/relais-server/changelog.Debian.gz":     "root:root 644",
	"/usr/share/man/man1/relais-server.1.gz":               "root:root 644",
	"/usr/share/man/fr/man1/relais-server.1.gz":            "root:root 644",
}

type serverBuilt struct {
	dir, deb, rpm, bin string
	err                error
}

var (
	serverOnce    sync.Once
	serverPkgs    serverBuilt
	serverWorkDir string // removed by TestMain
)

// serverPackages builds relais with -tags nogui (PIE, as make package
// does) and runs package-server.sh once for all the tests.
func serverPackages(t *testing.T) serverBuilt {
	t.Helper()
	testenv.NeedTools(t, "go", "gzip", "strip", "readelf", "dpkg-deb")
	serverOnce.Do(func() { serverPkgs = buildServer() })
	if serverPkgs.err != nil {
		t.Fatal(serverPkgs.err)
	}
	return serverPkgs
}

func buildServer() serverBuilt {
	var b serverBuilt
	dir, err := os.MkdirTemp("", "relais-server-package-test-")
	if err != nil {
		b.err = err
		return b
	}
	serverWorkDir = dir
	b.dir = dir
	b.bin = filepath.Join(dir, "relais-server")
	cmd := exec.Command("go", "build", "-trimpath", "-buildmode=pie", "-tags", "nogui",
		"-ldflags", "-X relais/internal/version.Version="+version, "-o", b.bin, "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.err = fmt.Errorf("go build -tags nogui: %v\n%s", err, out)
		return b
	}
	cmd = exec.Command("./package-server.sh", version, b.bin, filepath.Join(dir, "out"))
	cmd.Env = append(os.Environ(), "RELAIS_ARCH=amd64", "SOURCE_DATE_EPOCH=1767225600")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.err = fmt.Errorf("package-server.sh: %v\n%s%s", err, out, stderr.Bytes())
		return b
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case strings.HasSuffix(l, ".deb"):
			b.deb = l
		case strings.HasSuffix(l, ".rpm"):
			b.rpm = l
		}
	}
	if filepath.Base(b.deb) != "relais-server_"+debVersion+"_amd64.deb" || filepath.Base(b.rpm) != "relais-server-"+debVersion+".x86_64.rpm" {
		b.err = fmt.Errorf("package-server.sh made %q and %q:\n%s%s", b.deb, b.rpm, out, stderr.Bytes())
	}
	return b
}

// serverLintianAccepted are the only lintian tags the .deb may carry, all
// warnings: initial-upload-closes-no-bugs (not an archive upload),
// maintainer-script-calls-systemctl (deb-systemd-helper is debhelper's,
// which nfpm does not use; the calls are guarded), non-standard-file-perm
// of server.toml (0640 on purpose: it names the secrets and may carry a
// database password) and unknown-field License (nfpm's, rpm needs it).
var serverLintianAccepted = []string{
	"initial-upload-closes-no-bugs", "maintainer-script-calls-systemctl",
	"non-standard-file-perm 0640 != 0644 [etc/relais/server.toml]", "unknown-field License",
}

// Lintian finds no error, and no tag but the accepted warnings (the
// manual page and the PIE build included).
func TestServerLintian(t *testing.T) {
	b := serverPackages(t)
	testenv.NeedTools(t, "lintian")
	out, err := exec.Command("lintian", "--tag-display-limit", "0", b.deb).CombinedOutput()
	t.Logf("lintian:\n%s", out)
	tag := regexp.MustCompile(`^([EWIPX]): relais-server[^:]*: (.*)$`)
	for _, l := range strings.Split(string(out), "\n") {
		m := tag.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ok := m[1] == "W" && slices.ContainsFunc(serverLintianAccepted, func(a string) bool { return strings.HasPrefix(m[2], a) })
		if !ok {
			t.Errorf("lintian: %s", l)
		}
	}
	if ee, isExit := err.(*exec.ExitError); err != nil && (!isExit || ee.ExitCode() != 1) {
		t.Fatalf("lintian: %v", err)
	}
}

// The .deb holds the files expected with their owners and modes,
// server.toml is its only conffile, it depends on no graphics library, the
// unit verifies, and the shipped binary is the stripped build that runs.
func TestServerDebContents(t *testing.T) {
	b := serverPackages(t)
	testenv.NeedTools(t, "systemd-analyze", "file", "man")
	got := map[string]string{}
	for _, l := range strings.Split(mustRun(t, "dpkg-deb", "--contents", b.deb), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		got[strings.TrimPrefix(f[5], ".")] = strings.ReplaceAll(f[1], "/", ":") + " " + permOctal(f[0])
	}
	if !reflect.DeepEqual(got, serverShipped) {
		t.Errorf("files of the .deb:\n%v\nwant:\n%v", got, serverShipped)
	}
	ctl := t.TempDir()
	mustRun(t, "dpkg-deb", "--control", b.deb, ctl)
	if conf, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); strings.TrimSpace(string(conf)) != "/etc/relais/server.toml" {
		t.Errorf("conffiles = %q, want /etc/relais/server.toml", conf)
	}
	control, _ := os.ReadFile(filepath.Join(ctl, "control"))
	for _, want := range []string{"Package: relais-server\n", "Version: " + debVersion + "\n", "Depends: libc6 (>= 2.34), adduser\n"} {
		if !strings.Contains(string(control), want) {
			t.Errorf("control lacks %q:\n%s", want, control)
		}
	}
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm"} {
		if _, err := os.Stat(filepath.Join(ctl, s)); err != nil {
			t.Errorf("no %s: %v", s, err)
		}
	}

	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", b.deb, root)
	bin := filepath.Join(root, "usr/bin/relais-server")
	if out := mustRun(t, bin, "version"); !strings.Contains(out, version) {
		t.Errorf("relais-server version: %q lacks %s", out, version)
	}
	if out := mustRun(t, "file", bin); strings.Contains(out, "not stripped") || !strings.Contains(out, "pie executable") {
		t.Errorf("relais-server: %s, want a stripped PIE", out)
	}
	// The unit, verified with its ExecStart on the extracted binary and
	// man:relais-server(1) found in the extracted manual pages.
	text, err := os.ReadFile(filepath.Join(root, "lib/systemd/system/relais-server.service"))
	if err != nil {
		t.Fatal(err)
	}
	verify := filepath.Join(t.TempDir(), "relais-server.service")
	if err := os.WriteFile(verify, bytes.ReplaceAll(text, []byte("=/usr/bin/relais-server "), []byte("="+bin+" ")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-analyze", "verify", verify)
	cmd.Env = append(os.Environ(), "MANPATH="+filepath.Join(root, "usr/share/man"))
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The manual page, in both languages, names the program it documents.
	for dir, want := range map[string]string{"man1": "relais-server - emergency access", "fr/man1": "relais-server - accès de secours"} {
		cmd := exec.Command("man", "-l", filepath.Join(root, "usr/share/man", dir, "relais-server.1.gz"))
		cmd.Env = append(os.Environ(), "MANWIDTH=200", "LC_ALL=C.UTF-8")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "relais-server serve") ||
			!strings.Contains(string(out), "/etc/relais/server.toml") {
			t.Errorf("man %s/relais-server.1: %v\n%s", dir, err, out)
		}
	}
}

// The server host needs no desktop: the shipped binary links only the C
// library (ldd names no OpenGL, X11, xcb or Wayland library) and the
// package depends on none.
func TestServerBinaryLinksNoGraphics(t *testing.T) {
	b := serverPackages(t)
	testenv.NeedTools(t, "ldd")
	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", b.deb, root)
	libs := mustRun(t, "ldd", filepath.Join(root, "usr/bin/relais-server"))
	t.Logf("ldd relais-server:\n%s", libs)
	for _, lib := range graphicsLibs {
		if strings.Contains(libs, lib) {
			t.Errorf("relais-server links %s", lib)
		}
	}
	if !strings.Contains(libs, "libc.so.6") {
		t.Errorf("ldd shows no C library: not the binary expected?\n%s", libs)
	}
	if deps := mustRun(t, "dpkg-deb", "--field", b.deb, "Depends"); regexp.MustCompile(`(?i)libgl|libx|libwayland|libegl`).MatchString(deps) {
		t.Errorf("Depends: %s", deps)
	}
}

// package-server.sh refuses a binary that needs libGL: the build with the
// window given by mistake (here a small C program linked with -lGL, so as
// not to build the app).
func TestServerPackageRefusesGUIBinary(t *testing.T) {
	testenv.NeedTools(t, "gcc", "readelf")
	dir := t.TempDir()
	src := filepath.Join(dir, "gl.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gl := filepath.Join(dir, "gl")
	mustRun(t, "gcc", "-o", gl, src, "-Wl,--no-as-needed", "-lGL")
	if !strings.Contains(mustRun(t, "readelf", "-d", gl), "libGL") {
		t.Fatal("the test program does not need libGL")
	}
	out, err := exec.Command("./package-server.sh", version, gl, filepath.Join(dir, "out")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "links graphics libraries") {
		t.Errorf("package-server.sh with a libGL binary: %v, want a refusal\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("package-server.sh made its output directory before refusing")
	}
}

// The unit runs the nogui binary as its own unprivileged user with every
// sandboxing option the server can bear: no capability, the system
// read-only but its state directory, its own /tmp, no devices, only the
// Internet and local socket families, the system-service calls.
func TestServerUnitSettings(t *testing.T) {
	text, err := os.ReadFile("relais-server.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(text)
	want := map[string]string{
		"ExecStart": "/usr/bin/relais-server serve --config /etc/relais/server.toml",
		"User":      "relais-server", "Group": "relais-server",
		"StateDirectory": "relais-server", "StateDirectoryMode": "0700", "ConfigurationDirectory": "relais",
		"CapabilityBoundingSet": "", "AmbientCapabilities": "", "NoNewPrivileges": "yes",
		"ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
		"ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
		"ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"MemoryDenyWriteExecute": "yes", "LockPersonality": "yes", "UMask": "0077", "Restart": "on-failure",
		"WantedBy": "multi-user.target",
	}
	for key, w := range want {
		if got := unitValues(unit, key); len(got) != 1 || got[0] != w {
			t.Errorf("%s=%q, want %q", key, got, w)
		}
	}
	if f := unitValues(unit, "SystemCallFilter"); len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%q, want @system-service first", f)
	}
	// Nothing writable but the state directory, no way back to root.
	for _, key := range []string{"ReadWritePaths", "ReadWriteDirectories", "BindPaths", "DynamicUser", "SupplementaryGroups", "ExecStartPre", "PermissionsStartOnly"} {
		if v := unitValues(unit, key); len(v) > 0 {
			t.Errorf("%s=%q", key, v)
		}
	}
	for _, l := range strings.Split(unit, "\n") {
		if strings.HasPrefix(l, "Exec") && (strings.Contains(l, "=+") || strings.Contains(l, "=!")) {
			t.Errorf("a privileged command: %s", l)
		}
	}
}

// maxServerExposure is `systemd-analyze security --offline=true` of the
// unit as first shipped (systemd 252, Debian 12): 1.1 "OK". What is left
// is what a network server must keep: the host's network (PrivateNetwork,
// IPAddressDeny, AF_INET/AF_INET6), AF_UNIX (PostgreSQL's socket), /proc's
// non-process files (the metrics read /proc/stat) and the host's root.
// The unit may only get better; another systemd version may weigh the
// settings differently: update the figure with the version, never for a
// change of the unit.
const maxServerExposure = 1.1

func TestServerUnitExposure(t *testing.T) {
	testenv.NeedTools(t, "systemd-analyze")
	unit, err := filepath.Abs("relais-server.service")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", unit).CombinedOutput()
	testenv.Need(t, !strings.Contains(string(out), "unrecognized option"), "this systemd-analyze has no --offline (systemd 252 or later needed)")
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for relais-server\.service: ([0-9]+\.[0-9]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exposure %.1f (at most %.1f)", score, maxServerExposure)
	if score > maxServerExposure {
		t.Errorf("exposure %.1f, worse than %.1f:\n%s", score, maxServerExposure, out)
	}
}

// serverKeys lists every key of server.toml from the Config type's toml
// tags ("listen", "tls.cert_file", ...): the contract as the code reads it.
func serverKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, serverKeys(ft, prefix+tag+".")...)
			continue
		}
		keys = append(keys, prefix+tag)
	}
	return keys
}

// TestServerWireGuardDropIn: the drop-in for enrolment adds CAP_NET_ADMIN,
// netlink and the host's user namespace, and loosens nothing else of the
// unit (systemd-analyze security reads the unit with its drop-in).
func TestServerWireGuardDropIn(t *testing.T) {
	testenv.NeedTools(t, "systemd-analyze")
	root := t.TempDir()
	sys := filepath.Join(root, "etc/systemd/system")
	if err := os.MkdirAll(filepath.Join(sys, "relais-server.service.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{"relais-server.service": "relais-server.service", "relais-server-wireguard.conf": "relais-server.service.d/wireguard.conf"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sys, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	security := func(extra ...string) string {
		args := append([]string{"security", "--offline=true", "--root=" + root}, extra...)
		out, _ := exec.Command("systemd-analyze", append(args, "relais-server.service")...).CombinedOutput()
		return string(out)
	}
	out := security()
	testenv.Need(t, !strings.Contains(out, "unrecognized option"), "this systemd-analyze has no --offline (systemd 252 or later needed)")
	for _, granted := range []string{"RestrictAddressFamilies=~AF_NETLINK", "CapabilityBoundingSet=~CAP_NET_ADMIN", "PrivateUsers="} {
		if !regexp.MustCompile(`✗ ` + regexp.QuoteMeta(granted) + ` `).MatchString(out) {
			t.Errorf("the drop-in does not grant %s:\n%s", granted, out)
		}
	}
	// Every other capability stays out of reach.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "✗ CapabilityBoundingSet=") && !strings.Contains(l, "CAP_NET_ADMIN") {
			t.Errorf("another capability: %s", l)
		}
	}
}

// The shipped server.toml sets nothing (an empty configuration: loopback
// only, SQLite in systemd's state directory), names every key of the
// configuration in a comment, and with every such line uncommented is a
// configuration the server accepts (so the examples stay right).
func TestServerExampleConfig(t *testing.T) {
	text, err := os.ReadFile("server.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	var uncommented []string
	assign := regexp.MustCompile(`^#(\[[a-z]+\]|[a-z_]+ = .*)$`)
	for _, l := range strings.Split(string(text), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			t.Errorf("the example sets something: %q", l)
		}
		if m := assign.FindStringSubmatch(l); m != nil {
			uncommented = append(uncommented, m[1])
		}
	}
	cfg, err := srvconfig.Load("server.toml.example", func(k string) string {
		if k == "STATE_DIRECTORY" {
			return "/var/lib/relais-server"
		}
		return ""
	})
	if err != nil {
		t.Fatalf("the example as shipped: %v", err)
	}
	if cfg.Listen != "127.0.0.1:8443" || cfg.DataDir != "/var/lib/relais-server" || cfg.DatabaseURL != "" || cfg.TLS.Enabled() {
		t.Errorf("the example as shipped: listen %q, data_dir %q, database_url %q, tls %v", cfg.Listen, cfg.DataDir, cfg.DatabaseURL, cfg.TLS.Enabled())
	}
	all := strings.Join(uncommented, "\n") + "\n"
	full, err := srvconfig.Parse("server.toml (uncommented)", []byte(all))
	if err != nil {
		t.Fatalf("the example with every setting uncommented:\n%s\n%v", all, err)
	}
	if len(full.Networks) == 0 || !full.TLS.Enabled() || full.DatabaseURL == "" {
		t.Errorf("the uncommented example lacks settings: %+v", full)
	}
	keys := serverKeys(reflect.TypeOf(srvconfig.Config{}), "")
	if len(keys) < 13 {
		t.Fatalf("only %d keys found in config.Config: %q", len(keys), keys)
	}
	table := ""
	set := map[string]bool{}
	for _, l := range uncommented {
		if strings.HasPrefix(l, "[") {
			table = strings.Trim(l, "[]") + "."
			continue
		}
		k, _, _ := strings.Cut(l, " =")
		set[table+k] = true
	}
	for _, k := range keys {
		if !set[k] {
			t.Errorf("the example does not show %s", k)
		}
	}
}

// startServer runs cmd (relais-server serve, with listen port 0) and
// returns the base URL it prints once it listens.
func startServer(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	var mu sync.Mutex
	var output strings.Builder
	found := make(chan string, 1)
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		re := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
		sent := false
		for sc.Scan() {
			mu.Lock()
			output.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if u := re.FindString(sc.Text()); u != "" && !sent {
				found <- u
				sent = true
			}
		}
		close(found)
	}()
	said := func() string { mu.Lock(); defer mu.Unlock(); return output.String() }
	select {
	case u, ok := <-found:
		if !ok {
			cmd.Wait()
			t.Fatalf("the server stopped before listening:\n%s", said())
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not say where it listens within 60 s:\n%s", said())
	}
	return ""
}

// getOK asks url and wants 200 with a body containing want.
func getOK(t *testing.T, url, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		t.Errorf("GET %s: %d, want 200 with %q:\n%.500s", url, resp.StatusCode, want, body)
	}
}

// stopServer sends SIGTERM and wants a clean exit within 30 s.
func stopServer(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the server after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the server did not stop within 30 s of SIGTERM")
	}
}

// The shipped binary with the shipped configuration, given a temporary
// data directory and a free loopback port, answers /healthz and /metrics,
// keeps its SQLite database there, and stops cleanly on SIGTERM.
func TestServerServesHealthz(t *testing.T) {
	b := serverPackages(t)
	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", b.deb, root)
	shipped, err := os.ReadFile(filepath.Join(root, "etc/relais/server.toml"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	cfg := filepath.Join(t.TempDir(), "server.toml")
	text := fmt.Sprintf("listen = \"127.0.0.1:0\"\ndata_dir = %q\n%s", data, shipped)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "usr/bin/relais-server"), "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "STATE_DIRECTORY=")
	base := startServer(t, cmd)
	getOK(t, base+"/healthz", `"ok"`)
	getOK(t, base+"/metrics", "process_start_time_seconds")
	stopServer(t, cmd)
	if _, err := os.Stat(filepath.Join(data, "relais-server.db")); err != nil {
		t.Errorf("no SQLite database in data_dir: %v", err)
	}
}

// The .rpm holds the same files (its unit under /usr/lib), owners and
// modes, server.toml as its config file, and the scripts that create the
// user before the files are unpacked.
func TestServerRPMContents(t *testing.T) {
	b := serverPackages(t)
	testenv.NeedTools(t, "rpm")
	var want, got []string
	for p := range serverShipped {
		want = append(want, strings.Replace(p, "/lib/systemd/", "/usr/lib/systemd/", 1))
	}
	for _, l := range strings.Split(strings.TrimSpace(mustRun(t, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms}\n]", b.rpm)), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || strings.HasPrefix(f[2], "d") {
			continue
		}
		p := strings.Replace(f[0], "/usr/lib/systemd/", "/lib/systemd/", 1)
		if w := serverShipped[p]; w != f[1]+" "+permOctal(f[2]) {
			t.Errorf("rpm: %s: %s %s, want %s", f[0], f[1], permOctal(f[2]), w)
		}
		got = append(got, f[0])
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("rpm files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if conf := strings.TrimSpace(mustRun(t, "rpm", "-qp", "--configfiles", b.rpm)); conf != "/etc/relais/server.toml" {
		t.Errorf("rpm config files: %q", conf)
	}
	info := mustRun(t, "rpm", "-qpi", b.rpm)
	if !regexp.MustCompile(`(?m)^Version\s*: 1\.2\.3~test$`).MatchString(info) || !regexp.MustCompile(`(?m)^Name\s*: relais-server$`).MatchString(info) {
		t.Errorf("rpm -qpi:\n%s", info)
	}
	scripts := mustRun(t, "rpm", "-qp", "--scripts", b.rpm)
	pre, _, _ := strings.Cut(scripts, "postinstall scriptlet")
	if !strings.Contains(pre, "preinstall scriptlet") || !strings.Contains(pre, "useradd --system") {
		t.Errorf("rpm scripts: no user created before install:\n%s", scripts)
	}
	if req := mustRun(t, "rpm", "-qp", "--requires", b.rpm); regexp.MustCompile(`(?i)libgl|libx`).MatchString(req) {
		t.Errorf("rpm requires a graphics library:\n%s", req)
	}
}
