// Package linux_test builds the relais .deb and .rpm with package.sh and
// checks them with the distribution's own tools: lintian, desktop-file-validate,
// appstreamcli, systemd-analyze, rpm, and a real install, remove and purge
// with dpkg in a Debian root made by debootstrap.
package linux_test

import (
	"bytes"
	"fmt"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"relais/internal/testenv"
)

const version = "1.2.3-test"

// debVersion is version as package.sh turns it into a package version.
const debVersion = "1.2.3~test-1"

// shipped is every file of the .deb, without directories, with its owner
// and mode, the optional managed configuration and profile included.
var shipped = map[string]string{
	"/usr/bin/relais":                                             "root:root 755",
	"/usr/libexec/relais/relais-helper":                           "root:root 755",
	"/lib/systemd/system/relais-helper.service":                   "root:root 644",
	"/etc/relais/relais.toml":                                     "root:root 644",
	"/etc/relais/relais.toml.example":                             "root:root 644",
	"/usr/share/relais/profile.toml":                              "root:root 644",
	"/usr/share/relais/profile.toml.minisig":                      "root:root 644",
	"/usr/share/applications/org.relais.Relais.desktop":           "root:root 644",
	"/usr/share/metainfo/org.relais.Relais.metainfo.xml":          "root:root 644",
	"/usr/share/icons/hicolor/16x16/apps/org.relais.Relais.png":   "root:root 644",
	"/usr/share/icons/hicolor/32x32/apps/org.relais.Relais.png":   "root:root 644",
	"/usr/share/icons/hicolor/48x48/apps/org.relais.Relais.png":   "root:root 644",
	"/usr/share/icons/hicolor/64x64/apps/org.relais.Relais.png":   "root:root 644",
	"/usr/share/icons/hicolor/128x128/apps/org.relais.Relais.png": "root:root 644",
	"/usr/share/icons/hicolor/256x256/apps/org.relais.Relais.png": "root:root 644",
	"/usr/share/doc/relais/copyright":                             "root:root 644",
	"/usr/share/man/man1/relais.1.gz":                             "root:root 644",
	"/usr/share/man/fr/man1/relais.1.gz":                          "root:root 644",
	"/usr/share/doc/relais/changelog.Debian.gz":                   "root:root 644",
	"/usr/share/doc/relais/README.Debian":                         "root:root 644",
}

// managedConfig is the organisation's configuration the test packages: the
// test key of testdata/keys (not a real one).
const managedConfig = `profile_url = "https://continuite.example.org/relais/profile.toml"
profile_file = "/usr/share/relais/profile.toml"
trusted_keys = ["%s"]
`

type built struct {
	dir, deb, rpm, pubKey string
	bin, helper           string // the two builds given to package.sh
	err                   error
}

var (
	buildOnce sync.Once
	pkgs      built
	workDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{workDir, serverWorkDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// packages builds the two binaries (with the window, and -tags nogui for
// the helper) and runs package.sh once for all the tests, with a managed
// configuration and a bootstrap profile.
func packages(t *testing.T) built {
	t.Helper()
	testenv.NeedTools(t, "go", "convert", "gzip", "strip", "readelf", "dpkg-deb")
	buildOnce.Do(func() { pkgs = build() })
	if pkgs.err != nil {
		t.Fatal(pkgs.err)
	}
	return pkgs
}

func build() built {
	var b built
	dir, err := os.MkdirTemp("", "relais-package-test-")
	if err != nil {
		b.err = err
		return b
	}
	workDir = dir
	b.dir = dir
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
		}
		return string(out), nil
	}
	b.bin, b.helper = filepath.Join(dir, "relais"), filepath.Join(dir, "relais-helper")
	ldflags := "-X relais/internal/version.Version=" + version
	if _, err := run("go", "build", "-trimpath", "-ldflags", ldflags, "-o", b.bin, "../.."); err != nil {
		b.err = err
		return b
	}
	if _, err := run("go", "build", "-trimpath", "-tags", "nogui", "-ldflags", ldflags, "-o", b.helper, "../.."); err != nil {
		b.err = err
		return b
	}
	pub, err := os.ReadFile("../../testdata/keys/example.pub")
	if err != nil {
		b.err = err
		return b
	}
	lines := strings.Split(strings.TrimSpace(string(pub)), "\n")
	b.pubKey = "../../testdata/keys/example.pub"
	cfg := filepath.Join(dir, "relais.toml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, managedConfig, strings.TrimSpace(lines[len(lines)-1])), 0o644); err != nil {
		b.err = err
		return b
	}
	cmd := exec.Command("./package.sh", version, b.bin, b.helper, filepath.Join(dir, "out"))
	cmd.Env = append(os.Environ(),
		"RELAIS_MANAGED_CONFIG="+cfg,
		"RELAIS_PROFILE=../../testdata/profiles/example.toml",
		"RELAIS_ARCH=amd64",
		"SOURCE_DATE_EPOCH=1767225600")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.err = fmt.Errorf("package.sh: %v\n%s%s", err, out, stderr.Bytes())
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
	if b.deb == "" || b.rpm == "" {
		b.err = fmt.Errorf("package.sh printed no .deb and .rpm:\n%s%s", out, stderr.Bytes())
	}
	if filepath.Base(b.deb) != "relais_"+debVersion+"_amd64.deb" {
		b.err = fmt.Errorf("package.sh made %s, want relais_%s_amd64.deb", b.deb, debVersion)
	}
	return b
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Lintian finds no error in the .deb. Its remaining warnings, accepted:
// hardening-no-pie (the test builds without -buildmode=pie, make package with it),
// initial-upload-closes-no-bugs (not a Debian archive upload),
// maintainer-script-calls-systemctl (deb-systemd-helper comes with
// debhelper, which nfpm does not use; the scripts guard systemctl),
// and unknown-field License (nfpm's field, required by rpm). The manual
// page is shipped: no-manual-page and manual-page warnings are errors here.
func TestLintian(t *testing.T) {
	b := packages(t)
	testenv.NeedTools(t, "lintian")
	cmd := exec.Command("lintian", "--tag-display-limit", "0", b.deb)
	out, err := cmd.CombinedOutput()
	t.Logf("lintian:\n%s", out)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") {
			t.Errorf("lintian error: %s", l)
		}
		if strings.Contains(l, "manual-page") || strings.Contains(l, "groff-message") {
			t.Errorf("lintian, manual page: %s", l)
		}
	}
	// Lintian exits 2 on a run failure; 1 only for tags at error level.
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("lintian: %v", err)
	}
}

// The files of the .deb are those expected, with their owners and modes,
// the /etc files are conffiles, and the shipped desktop entry, metainfo,
// unit and icons pass their validators.
func TestDebContents(t *testing.T) {
	b := packages(t)
	testenv.NeedTools(t, "desktop-file-validate", "appstreamcli", "systemd-analyze", "file")

	got := map[string]string{}
	for _, l := range strings.Split(mustRun(t, "dpkg-deb", "--contents", b.deb), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		got[strings.TrimPrefix(f[5], ".")] = strings.ReplaceAll(f[1], "/", ":") + " " + permOctal(f[0])
	}
	for path, want := range shipped {
		if got[path] != want {
			t.Errorf("%s: %q, want %q", path, got[path], want)
		}
	}
	for path := range got {
		if _, ok := shipped[path]; !ok {
			t.Errorf("unexpected file in the .deb: %s", path)
		}
	}

	ctl := t.TempDir()
	mustRun(t, "dpkg-deb", "--control", b.deb, ctl)
	conf, err := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if err != nil {
		t.Fatal(err)
	}
	if c := strings.Fields(string(conf)); !slices.Equal(c, []string{"/etc/relais/relais.toml", "/etc/relais/relais.toml.example"}) &&
		!slices.Equal(c, []string{"/etc/relais/relais.toml.example", "/etc/relais/relais.toml"}) {
		t.Errorf("conffiles = %q, want the two files of /etc/relais", c)
	}
	control, _ := os.ReadFile(filepath.Join(ctl, "control"))
	for _, want := range []string{"Package: relais\n", "Version: " + debVersion + "\n", "Depends: libc6 (>= 2.34), libgl1, libx11-6"} {
		if !strings.Contains(string(control), want) {
			t.Errorf("control lacks %q:\n%s", want, control)
		}
	}

	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", b.deb, root)
	mustRun(t, "desktop-file-validate", filepath.Join(root, "usr/share/applications/org.relais.Relais.desktop"))
	mustRun(t, "appstreamcli", "validate", "--no-net", "--pedantic", filepath.Join(root, "usr/share/metainfo/org.relais.Relais.metainfo.xml"))
	meta, _ := os.ReadFile(filepath.Join(root, "usr/share/metainfo/org.relais.Relais.metainfo.xml"))
	if !strings.Contains(string(meta), `<release version="1.2.3~test" date="2026-01-01"/>`) {
		t.Errorf("metainfo lacks this release:\n%s", meta)
	}
	for _, size := range []int{16, 32, 48, 64, 128, 256} {
		f, err := os.Open(filepath.Join(root, fmt.Sprintf("usr/share/icons/hicolor/%dx%d/apps/org.relais.Relais.png", size, size)))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != size || cfg.Height != size {
			t.Errorf("icon %d: %dx%d, %v", size, cfg.Width, cfg.Height, err)
		}
	}

	// The unit, verified with its ExecStart pointing at the extracted helper.
	unit := filepath.Join(root, "lib/systemd/system/relais-helper.service")
	text, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	verify := filepath.Join(t.TempDir(), "relais-helper.service")
	if err := os.WriteFile(verify, bytes.ReplaceAll(text, []byte("=/usr/libexec/relais/relais-helper "), []byte("="+filepath.Join(root, "usr/libexec/relais/relais-helper")+" ")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", verify).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	} else if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify warns:\n%s", out)
	}
	for _, want := range []string{
		"ExecStart=/usr/libexec/relais/relais-helper helper --group relais\n",
		"CapabilityBoundingSet=CAP_NET_ADMIN CAP_CHOWN\n",
		"NoNewPrivileges=yes\n", "ProtectSystem=strict\n", "ProtectHome=yes\n", "PrivateTmp=yes\n",
		"RuntimeDirectory=relais\n", "StateDirectory=relais\n", "StateDirectoryMode=0700\n", "DeviceAllow=/dev/net/tun rw\n",
		"RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	// The package's binaries are the ones built, stripped, and run.
	for _, bin := range []string{"usr/bin/relais", "usr/libexec/relais/relais-helper"} {
		out := mustRun(t, filepath.Join(root, bin), "version")
		if !strings.Contains(out, version) {
			t.Errorf("/%s version: %q lacks %s", bin, out, version)
		}
		if strings.Contains(mustRun(t, "file", filepath.Join(root, bin)), "not stripped") {
			t.Errorf("/%s is not stripped", bin)
		}
	}
	// No autostart entry system-wide: starting at login is off by default.
	if _, err := os.Stat(filepath.Join(root, "etc/xdg")); err == nil {
		t.Error("the package installs something under /etc/xdg")
	}
}

// permOctal turns "-rwxr-xr-x" into "755".
func permOctal(s string) string {
	n := 0
	for i, c := range s[1:10] {
		if c != '-' {
			n |= 1 << (8 - i)
		}
	}
	return fmt.Sprintf("%o", n)
}

// The .rpm holds the same files as the .deb (its unit under /usr/lib), with
// the same conffiles and owners.
func TestRPMContents(t *testing.T) {
	b := packages(t)
	testenv.NeedTools(t, "rpm")
	var want []string
	for p := range shipped {
		want = append(want, strings.Replace(p, "/lib/systemd/", "/usr/lib/systemd/", 1))
	}
	sort.Strings(want)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(mustRun(t, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms}\n]", b.rpm)), "\n") {
		f := strings.Fields(l)
		if strings.HasPrefix(f[2], "d") {
			continue
		}
		p := strings.Replace(f[0], "/usr/lib/systemd/", "/lib/systemd/", 1)
		if w := shipped[p]; w != f[1]+" "+permOctal(f[2]) {
			t.Errorf("rpm: %s: %s %s, want %s", f[0], f[1], permOctal(f[2]), w)
		}
		got = append(got, f[0])
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("rpm files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	conf := strings.Fields(mustRun(t, "rpm", "-qp", "--configfiles", b.rpm))
	sort.Strings(conf)
	if !slices.Equal(conf, []string{"/etc/relais/relais.toml", "/etc/relais/relais.toml.example"}) {
		t.Errorf("rpm config files: %q", conf)
	}
	info := mustRun(t, "rpm", "-qpi", b.rpm)
	if !regexp.MustCompile(`(?m)^Version\s*: 1\.2\.3~test$`).MatchString(info) {
		t.Errorf("rpm version:\n%s", info)
	}
}

// debRootPackages are installed in the cached Debian root: the package's
// dependencies, so that dpkg -i needs no network.
var debRootPackages = []string{"libgl1", "libx11-6", "libxcursor1", "libxrandr2", "libxinerama1", "libxi6", "libxxf86vm1", "libxext6", "libxrender1"}

// debianRoot returns a fresh copy of a minimal Debian bookworm root made by
// debootstrap once and cached under $RELAIS_TEST_CACHE (default
// /var/cache/relais-test): the first run downloads it (a few minutes).
func debianRoot(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("RELAIS_TEST_CACHE")
	if cache == "" {
		cache = "/var/cache/relais-test"
	}
	cached := filepath.Join(cache, "bookworm-minbase-v1")
	if _, err := os.Stat(filepath.Join(cached, ".relais-complete")); err != nil {
		t.Logf("making the cached Debian root %s with debootstrap (once)", cached)
		tmp := cached + ".tmp"
		os.RemoveAll(tmp)
		if err := os.MkdirAll(cache, 0o755); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "debootstrap", "--variant=minbase", "--include="+strings.Join(debRootPackages, ","),
			"bookworm", tmp, "http://deb.debian.org/debian")
		files, _ := filepath.Glob(filepath.Join(tmp, "var/cache/apt/archives/*.deb"))
		for _, f := range files {
			os.Remove(f)
		}
		if err := os.WriteFile(filepath.Join(tmp, ".relais-complete"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(cached)
		if err := os.Rename(tmp, cached); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(t.TempDir(), "root")
	mustRun(t, "cp", "-a", cached, root)
	os.Remove(filepath.Join(root, ".relais-complete"))
	return root
}

// chroot runs a shell command in root, in a private mount namespace with
// /proc mounted, and returns its output.
func chroot(root, script string) (string, error) {
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "chroot", root,
		"/bin/sh", "-c", "mount -t proc proc /proc && "+script)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustChroot(t *testing.T, root, script string) string {
	t.Helper()
	out, err := chroot(root, script)
	if err != nil {
		t.Fatalf("chroot %s: %v\n%s", script, err, out)
	}
	return out
}

// tree lists every path under root with its type, owner and mode, except
// what dpkg and the shadow tools keep for themselves.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	// /run/adduser is adduser's own lock file, on a tmpfs on a real system.
	skip := []string{"/var/lib/dpkg", "/var/log", "/var/cache/debconf", "/proc", "/etc/group-", "/etc/gshadow-", "/etc/.pwd.lock", "/run/adduser"}
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := "/" + strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m[rel] = info.Mode().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The .deb installs into a minimal Debian, without systemd running: files,
// owners, modes, the group, the conffiles, a working binary and the
// shipped profile intact; dpkg -r keeps only the configuration, dpkg -P
// leaves the system as it was.
func TestInstallRemovePurge(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "debootstrap", "unshare", "chroot", "cp")
	b := packages(t)
	root := debianRoot(t)
	before := tree(t, root)
	groupBefore, _ := os.ReadFile(filepath.Join(root, "etc/group"))

	copyFile(t, b.deb, filepath.Join(root, "tmp/relais.deb"))
	copyFile(t, b.pubKey, filepath.Join(root, "tmp/example.pub"))
	out := mustChroot(t, root, "dpkg -i /tmp/relais.deb")
	t.Logf("dpkg -i:\n%s", out)

	for path, want := range shipped {
		got, err := chroot(root, "stat -c '%U:%G %a' "+path)
		if err != nil || strings.TrimSpace(got) != want {
			t.Errorf("installed %s: %q (%v), want %q", path, strings.TrimSpace(got), err, want)
		}
	}
	if out := mustChroot(t, root, "getent group relais"); !strings.HasPrefix(out, "relais:x:") {
		t.Errorf("getent group relais: %q", out)
	}
	conf := mustChroot(t, root, "dpkg-query -W -f='${Conffiles}' relais")
	for _, f := range []string{"/etc/relais/relais.toml ", "/etc/relais/relais.toml.example "} {
		if !strings.Contains(conf, f) {
			t.Errorf("dpkg-query Conffiles lacks %s:\n%s", f, conf)
		}
	}
	for _, bin := range []string{"/usr/bin/relais", "/usr/libexec/relais/relais-helper"} {
		if out := mustChroot(t, root, bin+" version"); !strings.Contains(out, version) {
			t.Errorf("%s version in the root: %q", bin, out)
		}
	}
	// The bootstrap profile as shipped still verifies with the team's key.
	mustChroot(t, root, "/usr/bin/relais profile verify /usr/share/relais/profile.toml --trust /tmp/example.pub")
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/relais-helper.service")); err == nil {
		t.Error("without systemctl, the package still enabled the helper")
	}

	// Remove: the program goes, the configuration and the group stay.
	mustChroot(t, root, "dpkg -r relais")
	for _, gone := range []string{"usr/bin/relais", "usr/libexec/relais", "lib/systemd/system/relais-helper.service", "usr/share/applications/org.relais.Relais.desktop", "usr/share/relais"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("after dpkg -r, /%s is still there", gone)
		}
	}
	for _, kept := range []string{"etc/relais/relais.toml", "etc/relais/relais.toml.example"} {
		if _, err := os.Stat(filepath.Join(root, kept)); err != nil {
			t.Errorf("after dpkg -r: %v", err)
		}
	}
	if out := mustChroot(t, root, "dpkg-query -W -f='${db:Status-Abbrev}' relais"); strings.TrimSpace(out) != "rc" {
		t.Errorf("after dpkg -r, status %q, want rc", out)
	}

	// Purge: nothing left, not even the helper's state directory (what
	// systemd makes for StateDirectory=relais when the service runs).
	mustChroot(t, root, "mkdir -m 0700 /var/lib/relais && echo 42 >/var/lib/relais/highwater")
	mustChroot(t, root, "dpkg -P relais")
	if _, err := chroot(root, "getent group relais"); err == nil {
		t.Error("after dpkg -P, the relais group remains")
	}
	if groupAfter, _ := os.ReadFile(filepath.Join(root, "etc/group")); !bytes.Equal(groupBefore, groupAfter) {
		t.Errorf("/etc/group changed:\n%s\nwas:\n%s", groupAfter, groupBefore)
	}
	os.Remove(filepath.Join(root, "tmp/relais.deb"))
	os.Remove(filepath.Join(root, "tmp/example.pub"))
	after := tree(t, root)
	for p, m := range after {
		if before[p] == "" {
			t.Errorf("left after purge: %s %s", m, p)
		} else if before[p] != m {
			t.Errorf("changed after purge: %s: %s, was %s", p, m, before[p])
		}
	}
	for p := range before {
		if after[p] == "" {
			t.Errorf("removed by install and purge: %s", p)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Without RELAIS_MANAGED_CONFIG and RELAIS_PROFILE, the package ships the
// commented template only: an empty /etc/relais/relais.toml would make
// Relais refuse to start ("trusted_keys: required") instead of running on
// its demonstration office.
func TestPackageWithoutOptions(t *testing.T) {
	b := packages(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command("./package.sh", "2.0.0", b.bin, b.helper, out)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "RELAIS_MANAGED_CONFIG=") && !strings.HasPrefix(e, "RELAIS_PROFILE=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("package.sh: %v\n%s", err, msg)
	}
	contents := mustRun(t, "dpkg-deb", "--contents", filepath.Join(out, "relais_2.0.0-1_amd64.deb"))
	if !strings.Contains(contents, "./etc/relais/relais.toml.example\n") {
		t.Errorf("no template:\n%s", contents)
	}
	for _, absent := range []string{"./etc/relais/relais.toml\n", "./usr/share/relais/"} {
		if strings.Contains(contents, absent) {
			t.Errorf("%s shipped without being asked for:\n%s", absent, contents)
		}
	}
	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", filepath.Join(out, "relais_2.0.0-1_amd64.deb"), root)
	tmpl, err := os.ReadFile(filepath.Join(root, "etc/relais/relais.toml.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(tmpl), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			t.Errorf("the template sets something: %q", l)
		}
	}
	if strings.Contains(string(tmpl), "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3") {
		t.Error("the template carries the example's key")
	}
}
