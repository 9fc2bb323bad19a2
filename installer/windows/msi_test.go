package windows_test

// The Windows package, checked on Linux: relais.exe cross-compiled with
// cgo (mingw-w64), the MSI built by build-msi.sh with wixl, then read back
// with msiinfo/msiextract; and, when wine64 is installed, the console
// commands run under wine. The first cgo cross build compiles GLFW and
// SQLite for Windows (minutes); later runs reuse Go's build cache. Run
// with a long timeout: go test -timeout 30m ./installer/windows/

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/config"
	"relais/internal/helper"
	"relais/internal/testenv"
)

const version = "0.1.0"

var (
	exeOnce sync.Once
	exePath string
	exeErr  error
	exeOut  []byte
	exeDir  string
)

// root is the repository's root (go test runs in installer/windows).
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// buildExe cross-compiles relais.exe once per test binary, console
// subsystem (so that the CLI prints).
func buildExe(t *testing.T) string {
	t.Helper()
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exeOnce.Do(func() {
		exeDir, exeErr = os.MkdirTemp("", "relais-exe-")
		if exeErr != nil {
			return
		}
		exePath = filepath.Join(exeDir, "relais.exe")
		cmd := exec.Command("go", "build", "-trimpath", "-o", exePath, ".")
		cmd.Dir = root(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=windows", "GOARCH=amd64", "CC=x86_64-w64-mingw32-gcc")
		exeOut, exeErr = cmd.CombinedOutput()
	})
	if exeErr != nil {
		t.Fatalf("cross-compiling relais.exe: %v\n%s", exeErr, exeOut)
	}
	return exePath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exeDir != "" {
		os.RemoveAll(exeDir)
	}
	os.Exit(code)
}

// buildMSI runs build-msi.sh and returns the MSI's path.
func buildMSI(t *testing.T, exe string) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("./build-msi.sh", version, exe, out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build-msi.sh: %v\n%s", err, b)
	}
	msi := filepath.Join(out, "relais-"+version+"-x64.msi")
	if _, err := os.Stat(msi); err != nil {
		t.Fatalf("build-msi.sh made no %s: %v\n%s", msi, err, b)
	}
	return msi
}

// table exports one MSI table as rows of columns (msiinfo export: names,
// types, the table's key line, then the rows, tab-separated, CRLF).
func table(t *testing.T, msi, name string) [][]string {
	t.Helper()
	b, err := exec.Command("msiinfo", "export", msi, name).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s: %v", name, err)
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var rows [][]string
	for i, l := range lines {
		if i < 3 || l == "" {
			continue
		}
		rows = append(rows, strings.Split(l, "\t"))
	}
	return rows
}

// row finds the row whose column col is key.
func row(t *testing.T, rows [][]string, col int, key, what string) []string {
	t.Helper()
	for _, r := range rows {
		if len(r) > col && r[col] == key {
			return r
		}
	}
	t.Fatalf("%s: no row %q in %q", what, key, rows)
	return nil
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestMSI(t *testing.T) {
	testenv.NeedTools(t, "wixl", "msiinfo", "msibuild", "msiextract", "python3", "x86_64-w64-mingw32-gcc")
	exe := buildExe(t)
	msi := buildMSI(t, exe)

	b, err := exec.Command("msiinfo", "tables", msi).Output()
	if err != nil {
		t.Fatalf("msiinfo tables: %v", err)
	}
	tables := map[string]bool{}
	for _, l := range strings.Fields(string(b)) {
		tables[l] = true
	}
	for _, want := range []string{"File", "Component", "Directory", "ServiceInstall", "ServiceControl", "Registry", "Shortcut", "CreateFolder", "Upgrade"} {
		if !tables[want] {
			t.Errorf("no %s table (tables: %s)", want, b)
		}
	}

	// Where things go: Program Files (64-bit) and ProgramData.
	dirs := table(t, msi, "Directory")
	d := row(t, dirs, 0, "INSTALLDIR", "Directory")
	eq(t, "INSTALLDIR's parent", d[1], "ProgramFiles64Folder")
	eq(t, "INSTALLDIR's name", d[2], "Relais")
	d = row(t, dirs, 0, "RelaisDataDir", "Directory")
	eq(t, "RelaisDataDir's parent", d[1], "CommonAppDataFolder")
	eq(t, "RelaisDataDir's name", d[2], "Relais")
	row(t, dirs, 0, "ProgramMenuFolder", "Directory")

	// The files: the executable, whole, and the managed configuration.
	st, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	files := table(t, msi, "File")
	f := row(t, files, 0, "relais.exe", "File")
	eq(t, "relais.exe's component", f[1], "RelaisExe")
	eq(t, "relais.exe's name", f[2], "relais.exe")
	eq(t, "relais.exe's size", f[3], strconv.FormatInt(st.Size(), 10))
	f = row(t, files, 0, "relais.toml", "File")
	eq(t, "relais.toml's component", f[1], "ManagedConfig")
	eq(t, "relais.toml's name", f[2], "relais.toml")

	// Components: 64-bit; the configuration permanent and never overwritten.
	comps := table(t, msi, "Component")
	for _, name := range []string{"RelaisExe", "RelaisRegistry", "ManagedConfig"} {
		c := row(t, comps, 0, name, "Component")
		a, err := strconv.Atoi(c[3])
		if err != nil {
			t.Fatalf("%s: attributes %q", name, c[3])
		}
		if a&0x100 == 0 {
			t.Errorf("%s is not a 64-bit component (attributes %#x)", name, a)
		}
		if name == "ManagedConfig" {
			eq(t, "ManagedConfig's directory", c[2], "RelaisDataDir")
			if a&0x10 == 0 || a&0x80 == 0 {
				t.Errorf("ManagedConfig is not Permanent|NeverOverwrite (attributes %#x): an upgrade or uninstall would touch the administrator's file", a)
			}
		} else if a&0x10 != 0 || a&0x80 != 0 {
			t.Errorf("%s is permanent or never-overwrite (attributes %#x)", name, a)
		}
	}
	row(t, table(t, msi, "CreateFolder"), 0, "RelaisDataDir", "CreateFolder")

	// The service: `relais helper` as LocalSystem, automatic start, own process.
	s := row(t, table(t, msi, "ServiceInstall"), 1, helper.ServiceName, "ServiceInstall")
	eq(t, "service type", s[3], "16") // SERVICE_WIN32_OWN_PROCESS
	eq(t, "start type", s[4], "2")    // SERVICE_AUTO_START
	eq(t, "account", s[8], "LocalSystem")
	eq(t, "arguments", s[10], "helper")
	eq(t, "service component", s[11], "RelaisExe")
	if !strings.Contains(s[12], helper.DefaultPipe) {
		t.Errorf("service description %q does not name the pipe %s", s[12], helper.DefaultPipe)
	}
	c := row(t, table(t, msi, "ServiceControl"), 1, helper.ServiceName, "ServiceControl")
	// start on install 0x1, stop on install 0x2 and uninstall 0x20, delete on uninstall 0x80.
	eq(t, "service control events", c[2], strconv.Itoa(0x1|0x2|0x20|0x80))
	eq(t, "service control wait", c[4], "1")
	seq := table(t, msi, "InstallExecuteSequence")
	for _, a := range []string{"StopServices", "DeleteServices", "InstallServices", "StartServices", "RemoveExistingProducts", "WriteRegistryValues", "CreateShortcuts"} {
		row(t, seq, 0, a, "InstallExecuteSequence")
	}

	// Registry: HKLM\Software\Relais (Root 2 is HKLM), and the event log source.
	reg := table(t, msi, "Registry")
	values := map[string]string{}
	for _, r := range reg {
		if len(r) < 5 {
			continue
		}
		if r[1] != "2" {
			t.Errorf("registry value %s\\%s is not under HKLM (root %s)", r[2], r[3], r[1])
		}
		values[strings.TrimSuffix(r[2], `\`)+`\`+r[3]] = r[4]
	}
	eq(t, `Software\Relais\InstallDir`, values[`Software\Relais\InstallDir`], "[INSTALLDIR]")
	eq(t, `Software\Relais\Version`, values[`Software\Relais\Version`], version)
	eq(t, `Software\Relais\ConfigPath`, values[`Software\Relais\ConfigPath`], "[RelaisDataDir]relais.toml")
	ev := `SYSTEM\CurrentControlSet\Services\EventLog\Application\` + helper.ServiceName
	eq(t, "event log source", values[ev+`\EventMessageFile`], `%SystemRoot%\System32\EventCreate.exe`)

	// The Start menu shortcut to relais.exe.
	sc := row(t, table(t, msi, "Shortcut"), 0, "RelaisStartMenu", "Shortcut")
	eq(t, "shortcut directory", sc[1], "ProgramMenuFolder")
	eq(t, "shortcut name", sc[2], "Relais")
	eq(t, "shortcut component", sc[3], "RelaisExe")
	eq(t, "shortcut target", sc[4], "[#relais.exe]") // not advertised
	eq(t, "shortcut working directory", sc[11], "INSTALLDIR")

	// Product identity: fixed UpgradeCode, the version given.
	props := table(t, msi, "Property")
	eq(t, "UpgradeCode", row(t, props, 0, "UpgradeCode", "Property")[1], "{9E2B6F3C-1D4A-4C57-8A39-6B1F0D2E7C41}")
	eq(t, "ProductVersion", row(t, props, 0, "ProductVersion", "Property")[1], version)
	eq(t, "ALLUSERS", row(t, props, 0, "ALLUSERS", "Property")[1], "1")
	si, err := exec.Command("msiinfo", "suminfo", msi).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(si), "Template: x64;") {
		t.Errorf("the MSI is not an x64 package:\n%s", si)
	}

	// The payload: relais.exe byte for byte; relais.toml is the commented
	// template (a machine is not managed until the administrator fills it in).
	x := t.TempDir()
	if out, err := exec.Command("msiextract", "-C", x, msi).CombinedOutput(); err != nil {
		t.Fatalf("msiextract: %v\n%s", err, out)
	}
	same := func(extracted, want string) {
		t.Helper()
		var got []byte
		_ = filepath.WalkDir(x, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.EqualFold(d.Name(), extracted) {
				got, _ = os.ReadFile(p)
			}
			return nil
		})
		w, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			t.Errorf("msiextract found no %s", extracted)
		} else if !bytes.Equal(got, w) {
			t.Errorf("%s in the MSI differs from %s", extracted, want)
		}
	}
	same("relais.exe", exe)
	same("relais.toml", "relais.toml.template")
}

// build-msi.sh refuses what MSI cannot carry as a version.
func TestBuildMSIRejectsBadVersion(t *testing.T) {
	testenv.NeedTools(t, "wixl")
	exe := filepath.Join(t.TempDir(), "relais.exe")
	if err := os.WriteFile(exe, []byte("MZ"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"", "abc", "1..2", "1.2.", "1.2.3.x"} {
		out, err := exec.Command("./build-msi.sh", v, exe, t.TempDir()).CombinedOutput()
		if err == nil {
			t.Errorf("version %q accepted:\n%s", v, out)
		}
	}
}

// wine runs relais.exe's console commands (no display needed for them).
func wine(t *testing.T, exe string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine64(t), append([]string{exe}, args...)...)
	cmd.Dir = root(t)
	cmd.Env = append(os.Environ(), "WINEDEBUG=-all", "WINEPREFIX="+wineprefix(t), "WINEDLLOVERRIDES=mscoree,mshtml=", "RELAIS_HOME="+`C:\relais-test`)
	cmd.Env = append(cmd.Env, "DISPLAY=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		t.Logf("wine64 %s: stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String(), err
}

// wineprefix is a prefix kept between runs (creating one takes a while),
// with bcryptprimitives.dll when Wine lacks it (see
// testdata/wine-bcryptprimitives.c).
func wineprefix(t *testing.T) string {
	t.Helper()
	prefix := filepath.Join(os.TempDir(), "relais-wineprefix")
	sys32 := filepath.Join(prefix, "drive_c", "windows", "system32")
	if _, err := os.Stat(sys32); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, wine64(t), "wineboot", "-i")
		cmd.Env = append(os.Environ(), "WINEDEBUG=-all", "WINEPREFIX="+prefix, "WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("creating the Wine prefix: %v\n%s", err, out)
		}
	}
	dll := filepath.Join(sys32, "bcryptprimitives.dll")
	if _, err := os.Stat(dll); err != nil {
		cmd := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll, filepath.Join("testdata", "wine-bcryptprimitives.c"), "-lbcrypt")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the bcryptprimitives.dll shim: %v\n%s", err, out)
		}
		t.Logf("this Wine lacks bcryptprimitives.dll (Go's runtime needs ProcessPrng): installed the test shim in %s", dll)
	}
	return prefix
}

// wine64 finds the loader: on PATH with Debian's wine package, else where
// the wine64 package alone puts it.
func wine64(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("wine64"); err == nil {
		return p
	}
	const p = "/usr/lib/wine/wine64"
	_, err := os.Stat(p)
	testenv.Need(t, err == nil, "wine64 is not installed (make deps installs it)")
	return p
}

func TestExeUnderWine(t *testing.T) {
	wine64(t)
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exe := buildExe(t)
	out, err := wine(t, exe, "version")
	if err != nil {
		t.Fatalf("relais.exe version under wine: %v\n%s", err, out)
	}
	if !strings.Contains(out, "relais ") || !strings.Contains(out, "windows/amd64") {
		t.Errorf("relais.exe version printed:\n%s", out)
	}
	out, err = wine(t, exe, "profile", "lint", filepath.Join("testdata", "profiles", "example.toml"))
	if err != nil {
		t.Fatalf("relais.exe profile lint under wine: %v\n%s", err, out)
	}
	t.Logf("profile lint:\n%s", out)
}

// The template the MSI installs leaves the machine unmanaged until the
// administrator fills it in.
func TestTemplateIsUnmanaged(t *testing.T) {
	if _, err := config.LoadManaged("relais.toml.template"); !errors.Is(err, config.ErrNoManaged) {
		t.Errorf("LoadManaged(template) = %v, want ErrNoManaged", err)
	}
}
