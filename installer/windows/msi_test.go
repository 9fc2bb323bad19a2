package windows_test

// The Windows package, checked on Linux: relais.exe (the app) and
// relais-helper.exe (the same program with -tags nogui, which the service
// runs) cross-compiled with cgo (mingw-w64), the MSI built by build-msi.sh
// with wixl, then read back with msiinfo/msiextract; and, when wine64 is
// installed, the console commands run under wine. The first cgo cross build compiles GLFW and
// SQLite for Windows (minutes); later runs reuse Go's build cache. Run
// with a long timeout: go test -timeout 30m ./installer/windows/

import (
	"bytes"
	"debug/pe"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"relais/internal/config"
	"relais/internal/helper"
	"relais/internal/testenv"
)

const version = "0.1.0"

// crossBuild is one Windows build, made once per test binary.
type crossBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

var (
	exeDir     string // where the builds go, removed by TestMain
	exeDirOnce sync.Once
	exeDirErr  error
	guiBuild   crossBuild // relais.exe, the default build (the window)
	helperExe  crossBuild // relais-helper.exe, -tags nogui
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

// build cross-compiles name (with the build tags, if any) once per test
// binary, console subsystem (so that the CLI prints), as make package does.
func (b *crossBuild) build(t *testing.T, name string, tags ...string) string {
	t.Helper()
	testenv.NeedTools(t, "x86_64-w64-mingw32-gcc")
	exeDirOnce.Do(func() { exeDir, exeDirErr = os.MkdirTemp("", "relais-exe-") })
	if exeDirErr != nil {
		t.Fatal(exeDirErr)
	}
	b.once.Do(func() {
		b.path = filepath.Join(exeDir, name)
		args := []string{"build", "-trimpath"}
		if len(tags) > 0 {
			args = append(args, "-tags", strings.Join(tags, ","))
		}
		cmd := exec.Command("go", append(args, "-o", b.path, ".")...)
		cmd.Dir = root(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=windows", "GOARCH=amd64", "CC=x86_64-w64-mingw32-gcc")
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("cross-compiling %s: %v\n%s", name, b.err, b.out)
	}
	return b.path
}

// buildExe is relais.exe, the app.
func buildExe(t *testing.T) string { return guiBuild.build(t, "relais.exe") }

// buildHelperExe is relais-helper.exe, the build without the window.
func buildHelperExe(t *testing.T) string { return helperExe.build(t, "relais-helper.exe", "nogui") }

func TestMain(m *testing.M) {
	code := m.Run()
	if exeDir != "" {
		os.RemoveAll(exeDir)
	}
	os.Exit(code)
}

// buildMSI runs build-msi.sh and returns the MSI's path.
func buildMSI(t *testing.T, exe, helperExe string) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("./build-msi.sh", version, exe, helperExe, out)
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
	testenv.NeedTools(t, "wixl", "msiinfo", "msibuild", "msiextract", "python3", "x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-objdump")
	exe, helperExe := buildExe(t), buildHelperExe(t)
	msi := buildMSI(t, exe, helperExe)

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

	// The files: the two executables, whole, and the managed configuration.
	files := table(t, msi, "File")
	for _, x := range []struct{ id, component, name, path string }{
		{"relais.exe", "RelaisExe", "relais.exe", exe},
		{"relais_helper.exe", "RelaisHelperExe", "relais-helper.exe", helperExe},
	} {
		st, err := os.Stat(x.path)
		if err != nil {
			t.Fatal(err)
		}
		f := row(t, files, 0, x.id, "File")
		eq(t, x.name+"'s component", f[1], x.component)
		eq(t, x.name+"'s name", f[2], x.name)
		eq(t, x.name+"'s size", f[3], strconv.FormatInt(st.Size(), 10))
	}
	f := row(t, files, 0, "relais.toml", "File")
	eq(t, "relais.toml's component", f[1], "ManagedConfig")
	eq(t, "relais.toml's name", f[2], "relais.toml")

	// Components: 64-bit; the configuration permanent and never overwritten.
	comps := table(t, msi, "Component")
	for _, name := range []string{"RelaisExe", "RelaisHelperExe", "RelaisRegistry", "ManagedConfig"} {
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
	features := table(t, msi, "FeatureComponents")
	for _, name := range []string{"RelaisExe", "RelaisHelperExe", "RelaisRegistry", "ManagedConfig"} {
		row(t, features, 1, name, "FeatureComponents")
	}

	// The service: `relais-helper.exe helper` as LocalSystem, automatic
	// start, own process. Windows Installer runs the key file of the
	// service's component: that must be relais-helper.exe in INSTALLDIR, not
	// the app.
	s := row(t, table(t, msi, "ServiceInstall"), 1, helper.ServiceName, "ServiceInstall")
	eq(t, "service type", s[3], "16") // SERVICE_WIN32_OWN_PROCESS
	eq(t, "start type", s[4], "2")    // SERVICE_AUTO_START
	eq(t, "account", s[8], "LocalSystem")
	eq(t, "arguments", s[10], "helper")
	eq(t, "service component", s[11], "RelaisHelperExe")
	sc := row(t, comps, 0, s[11], "Component")
	eq(t, "the service component's directory", sc[2], "INSTALLDIR")
	eq(t, "the service's program", row(t, files, 0, sc[5], "File")[2], "relais-helper.exe")
	if !strings.Contains(s[12], helper.DefaultPipe) {
		t.Errorf("service description %q does not name the pipe %s", s[12], helper.DefaultPipe)
	}
	c := row(t, table(t, msi, "ServiceControl"), 1, helper.ServiceName, "ServiceControl")
	// start on install 0x1, stop on install 0x2 and uninstall 0x20, delete on uninstall 0x80.
	eq(t, "service control events", c[2], strconv.Itoa(0x1|0x2|0x20|0x80))
	eq(t, "service control wait", c[4], "1")
	eq(t, "service control component", c[5], "RelaisHelperExe")
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
	sh := row(t, table(t, msi, "Shortcut"), 0, "RelaisStartMenu", "Shortcut")
	eq(t, "shortcut directory", sh[1], "ProgramMenuFolder")
	eq(t, "shortcut name", sh[2], "Relais")
	eq(t, "shortcut component", sh[3], "RelaisExe")
	eq(t, "shortcut target", sh[4], "[#relais.exe]") // not advertised
	eq(t, "shortcut working directory", sh[11], "INSTALLDIR")

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

	// The payload: both executables byte for byte; relais.toml is the commented
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
	same("relais-helper.exe", helperExe)
	same("relais.toml", "relais.toml.template")
}

// guiDLLs are the DLLs the window needs (GLFW: OpenGL, GDI, USER, the
// shell), which the service's program must not import.
var guiDLLs = []string{"opengl32.dll", "gdi32.dll", "user32.dll", "shell32.dll"}

// imports lists the DLLs a Windows executable imports, lower case, from
// its import table. (debug/pe's ImportedLibraries returns nothing for a
// PE file: the DLLs are read off ImportedSymbols' "symbol:dll" entries.)
func imports(t *testing.T, exe string) []string {
	t.Helper()
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatalf("%s: %v", exe, err)
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if err != nil {
		t.Fatalf("%s: imported symbols: %v", exe, err)
	}
	var libs []string
	for _, s := range syms {
		if _, dll, ok := strings.Cut(s, ":"); ok && !slices.Contains(libs, strings.ToLower(dll)) {
			libs = append(libs, strings.ToLower(dll))
		}
	}
	slices.Sort(libs)
	return libs
}

// guiImports is what exe imports among guiDLLs.
func guiImports(t *testing.T, exe string) []string {
	t.Helper()
	var out []string
	for _, l := range imports(t, exe) {
		if slices.Contains(guiDLLs, l) {
			out = append(out, l)
		}
	}
	return out
}

// relais-helper.exe, which the service runs as LocalSystem, imports no DLL
// of the window; the app does (OpenGL and GDI at least), so the check
// tells the two builds apart.
func TestHelperExeImportsNoGUIDLL(t *testing.T) {
	exe, helperExe := buildExe(t), buildHelperExe(t)
	if got := guiImports(t, helperExe); len(got) > 0 {
		t.Errorf("relais-helper.exe imports %v (all: %v): it must be the -tags nogui build", got, imports(t, helperExe))
	}
	got := guiImports(t, exe)
	for _, want := range []string{"opengl32.dll", "gdi32.dll"} {
		if !slices.Contains(got, want) {
			t.Errorf("relais.exe (the window) does not import %s (imports %v): the check above proves nothing", want, imports(t, exe))
		}
	}
	t.Logf("relais.exe imports %v; relais-helper.exe imports %v", imports(t, exe), imports(t, helperExe))
}

// build-msi.sh refuses the app given as the helper: the service would run
// the window's build as LocalSystem.
func TestBuildMSIRefusesGUIHelper(t *testing.T) {
	testenv.NeedTools(t, "wixl", "x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-objdump")
	exe := buildExe(t)
	dir := t.TempDir()
	out, err := exec.Command("./build-msi.sh", version, exe, exe, dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "OPENGL32.dll") || !strings.Contains(string(out), "-tags nogui") {
		t.Errorf("build-msi.sh with relais.exe as the helper: %v, want a refusal naming OPENGL32.dll and -tags nogui:\n%s", err, out)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.msi")); len(m) > 0 {
		t.Errorf("build-msi.sh refused but wrote %v", m)
	}
}

// build-msi.sh refuses what MSI cannot carry as a version.
func TestBuildMSIRejectsBadVersion(t *testing.T) {
	testenv.NeedTools(t, "wixl")
	exe := filepath.Join(t.TempDir(), "relais.exe")
	if err := os.WriteFile(exe, []byte("MZ"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"", "abc", "1..2", "1.2.", "1.2.3.x"} {
		out, err := exec.Command("./build-msi.sh", v, exe, exe, t.TempDir()).CombinedOutput()
		if err == nil {
			t.Errorf("version %q accepted:\n%s", v, out)
		}
	}
	// The helper is not optional.
	if out, err := exec.Command("./build-msi.sh", version, exe, t.TempDir()).CombinedOutput(); err == nil || !strings.Contains(string(out), "HELPER_EXE") {
		t.Errorf("build-msi.sh without the helper: %v, want the usage\n%s", err, out)
	}
}

// The template the MSI installs leaves the machine unmanaged until the
// administrator fills it in.
func TestTemplateIsUnmanaged(t *testing.T) {
	if _, err := config.LoadManaged("relais.toml.template"); !errors.Is(err, config.ErrNoManaged) {
		t.Errorf("LoadManaged(template) = %v, want ErrNoManaged", err)
	}
}
