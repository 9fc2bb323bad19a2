package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relais/internal/profile"
)

func envOf(goos string, vars map[string]string) Environment {
	return Environment{GOOS: goos, Home: "/home/agent", Getenv: func(k string) string { return vars[k] }}
}

func TestManagedPath(t *testing.T) {
	tests := []struct {
		goos string
		vars map[string]string
		want string
	}{
		{"linux", nil, "/etc/relais/relais.toml"},
		{"darwin", nil, "/Library/Application Support/Relais/relais.toml"},
		{"windows", map[string]string{"ProgramData": `D:\PD`}, `D:\PD\Relais\relais.toml`},
		{"windows", nil, `C:\ProgramData\Relais\relais.toml`},
		{"linux", map[string]string{"RELAIS_CONFIG": "/tmp/x.toml"}, "/tmp/x.toml"},
	}
	for _, tt := range tests {
		if got := ManagedPath(envOf(tt.goos, tt.vars)); got != tt.want {
			t.Errorf("ManagedPath(%s, %v) = %q, want %q", tt.goos, tt.vars, got, tt.want)
		}
	}
}

func TestDataDir(t *testing.T) {
	tests := []struct {
		goos string
		vars map[string]string
		want string
	}{
		{"linux", nil, "/home/agent/.local/share/relais"},
		{"linux", map[string]string{"XDG_DATA_HOME": "/data"}, "/data/relais"},
		{"linux", map[string]string{"XDG_DATA_HOME": "relative"}, "/home/agent/.local/share/relais"},
		{"darwin", nil, "/home/agent/Library/Application Support/Relais"},
		{"windows", map[string]string{"LocalAppData": `C:\Users\a\AppData\Local`}, `C:\Users\a\AppData\Local\Relais`},
		{"linux", map[string]string{"RELAIS_HOME": "/tmp/h"}, "/tmp/h"},
	}
	for _, tt := range tests {
		got, err := DataDir(envOf(tt.goos, tt.vars))
		if err != nil || got != tt.want {
			t.Errorf("DataDir(%s, %v) = %q, %v; want %q", tt.goos, tt.vars, got, err, tt.want)
		}
	}
	if _, err := DataDir(envOf("windows", nil)); err == nil {
		t.Error("DataDir on Windows without LocalAppData: want an error")
	}
}

func TestParseManaged(t *testing.T) {
	good := `profile_url = "https://continuite.example.org/relais/profile.toml"
profile_file = "/usr/share/relais/profile.toml"
trusted_keys = ["RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"]
[locked]
tunnel_mode = "system"
autostart = true
system_proxy = true
`
	m, err := ParseManaged("relais.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if m.ProfileURL == "" || len(m.TrustedKeys) != 1 || m.Locked.TunnelMode == nil || *m.Locked.TunnelMode != "system" || m.Locked.Autostart == nil || !*m.Locked.Autostart {
		t.Fatalf("decoded %+v", m)
	}
	if m.Locked.SystemProxy == nil || !*m.Locked.SystemProxy {
		t.Fatalf("locked.system_proxy decoded as %v, want true", m.Locked.SystemProxy)
	}
	if m, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\n[locked]\nsystem_proxy = false\n")); err != nil || m.Locked.SystemProxy == nil || *m.Locked.SystemProxy {
		t.Fatalf("system_proxy = false: %+v %v", m, err)
	}

	bad := []struct{ in, want string }{
		{"trusted_keys = [\"k\"]\ncolour = 1\n", "relais.toml:2: colour: unknown key"},
		{"profile_url = 3\ntrusted_keys = [\"k\"]\n", "relais.toml:1:"},
		{"profile_url = \"https://x\"\n", "trusted_keys: required"},
		{"trusted_keys = [\"k\"]\n[locked]\ntunnel_mode = \"fast\"\n", "locked.tunnel_mode"},
		{"trusted_keys = [\"k\"\n", "relais.toml:"},
		{"trusted_keys = [\"k\"]\n[locked]\nsystem_proxy = \"yes\"\n", "relais.toml:3:"},
	}
	for _, tt := range bad {
		_, err := ParseManaged("relais.toml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseManaged(%q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestLoadManagedMissing(t *testing.T) {
	_, err := LoadManaged(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, ErrNoManaged) {
		t.Fatalf("got %v, want ErrNoManaged", err)
	}
}

func TestLoadManagedTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "relais.toml")
	if err := os.WriteFile(p, []byte("# "+strings.Repeat("x", MaxManagedSize)+"\ntrusted_keys=[\"k\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadManaged(p); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func FuzzParseManaged(f *testing.F) {
	f.Add([]byte("trusted_keys = [\"RWQ\"]\n[locked]\nautostart = true\n"))
	f.Add([]byte("profile_url = \"https://x\"\n"))
	f.Add([]byte("[locked]\ntunnel_mode = 3"))
	f.Add([]byte("trusted_keys = [\"RWQ\"]\n[locked]\nsystem_proxy = true\n"))
	f.Add([]byte("\ufefftrusted_keys = [\"RWQ\"]\r\n"))
	f.Add([]byte("trusted_keys = [\"RWQ\"]\nenrol_token = \"rlst_secretvalue\"\nenrol_url = \"https://e/v1/enrol\"\n"))
	f.Add([]byte("trusted_keys = [\"RWQ\"]\nenrol_token = \"rlst_secret\\u0007\"\nenrol_url = \"http://h/x\"\n"))
	f.Add([]byte("trusted_keys = [\"RWQ\"]\ncaptive_url = \"http://portail-test.example.org/ok\"\ncaptive_expect_status = 204\n"))
	f.Add([]byte("trusted_keys = [\"RWQ\"]\ncaptive_url = \"ftp://x\"\ncaptive_expect_status = 700\n"))
	f.Add([]byte("trusted_keys = [\"RWQ\"]\ncaptive_expect_status = 200\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManaged("f.toml", data)
		if err == nil && m.CaptiveURL != "" && profile.CaptiveURLProblem(m.CaptiveURL).Code != "" {
			t.Fatal("accepted a bad captive_url")
		}
		if err == nil && (m.CaptiveStatus() < 200 || m.CaptiveStatus() > 599 || (m.CaptiveExpectStatus != 0 && m.CaptiveURL == "")) {
			t.Fatalf("accepted captive_expect_status %d (captive_url %q)", m.CaptiveExpectStatus, m.CaptiveURL)
		}
		if err == nil && m.EnrolToken != "" && strings.Contains(m.String(), m.EnrolToken) {
			t.Fatal("String shows the setup token")
		}
		if err == nil && m.EnrolURL != "" && checkEnrolURL(m.EnrolURL) != nil {
			t.Fatal("accepted a bad enrol_url")
		}
		if err == nil && len(m.TrustedKeys) == 0 {
			t.Fatal("accepted a configuration without trusted keys")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "config: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
	})
}

// The example shipped for administrators stays valid.
func TestInstallerExampleParses(t *testing.T) {
	m, err := LoadManaged(filepath.Join("..", "..", "installer", "relais.toml.example"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ProfileURL == "" || m.ProfileFile == "" || len(m.TrustedKeys) == 0 {
		t.Fatalf("%+v", m)
	}
}

// The packages install a commented template: until the admin fills it in,
// the machine is not managed (the app runs on the demo office), rather than
// refusing to start.
func TestCommentedTemplateIsNotManaged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "relais.toml")
	if err := os.WriteFile(p, []byte("# Relais managed configuration\n\n# profile_url = \"https://x\"\n   # trusted_keys = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadManaged(p); !errors.Is(err, ErrNoManaged) {
		t.Fatalf("a commented template: %v, want ErrNoManaged", err)
	}
	if err := os.WriteFile(p, []byte("# filled in\nprofile_url = \"https://x.example.org/p.toml\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadManaged(p); err == nil || errors.Is(err, ErrNoManaged) {
		t.Fatalf("a file with a setting but no key: %v, want a validation error", err)
	}
}

// enrol_token and enrol_url: optional, checked, and the token never shown
// (not in an error, not in String nor %v/%+v/%#v).
func TestManagedEnrolment(t *testing.T) {
	const tok = "rlst_abcdefghijklmnopqrstuvwxyz234567"
	m, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\nenrol_token = \" "+tok+" \"\nenrol_url = \"https://relais.example.org/v1/enrol\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.EnrolToken != tok || m.EnrolURL != "https://relais.example.org/v1/enrol" {
		t.Fatalf("decoded %q %q", m.EnrolToken, m.EnrolURL)
	}
	for _, s := range []string{m.String(), fmt.Sprint(m), fmt.Sprintf("%v %+v %#v", *m, *m, *m), fmt.Sprintf("%+v", m)} {
		if strings.Contains(s, tok) || strings.Contains(s, "abcdefghij") {
			t.Fatalf("the token is shown: %s", s)
		}
	}
	if !strings.Contains(m.String(), "enrol_token: configured") {
		t.Fatalf("String does not say a token is configured: %s", m)
	}
	none, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\n"))
	if err != nil || none.EnrolToken != "" || none.EnrolURL != "" || !strings.Contains(none.String(), "enrol_token: none") {
		t.Fatalf("%v %v", none, err)
	}
	bad := []struct{ in, want string }{
		{"enrol_token = \"   \"", "enrol_token: not a setup token"},
		{"enrol_token = \"rlst_secretpart\\u0007\"", "enrol_token: not a setup token"},
		{"enrol_token = \"rlst_" + strings.Repeat("s", 200) + "\"", "enrol_token: not a setup token"},
		{"enrol_token = 42", "relais.toml:2:"},
		{"enrol_url = \"http://relais.example.org/v1/enrol\"", "enrol_url: must be https"},
		{"enrol_url = \"ftp://relais.example.org/v1/enrol\"", "enrol_url: must be https"},
		{"enrol_url = \"/v1/enrol\"", "enrol_url: not an absolute URL"},
		{"enrol_url = \"https://u:p@relais.example.org/v1/enrol\"", "enrol_url: user information"},
	}
	for _, tt := range bad {
		_, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\n"+tt.in+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "secretpart") || strings.Contains(err.Error(), "ssssssss") {
			t.Errorf("%s: the error quotes the token: %v", tt.in, err)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8080/v1/enrol", "http://localhost/v1/enrol", "http://[::1]:9/v1/enrol"} {
		if _, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\nenrol_url = \""+ok+"\"\n")); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// captive_url and captive_expect_status: optional, checked like the
// profile's [captive], the status only with a URL.
func TestManagedCaptive(t *testing.T) {
	m, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\ncaptive_url = \"http://portail-test.example.org/ok\"\ncaptive_expect_status = 200\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.CaptiveURL != "http://portail-test.example.org/ok" || m.CaptiveStatus() != 200 || !strings.Contains(m.String(), "portail-test") {
		t.Fatalf("%v", m)
	}
	m, err = ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\ncaptive_url = \"https://portail-test.example.org/ok\"\n"))
	if err != nil || m.CaptiveStatus() != 204 {
		t.Fatalf("%v %v, want status 204", m, err)
	}
	none, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\n"))
	if err != nil || none.CaptiveURL != "" {
		t.Fatalf("%v %v", none, err)
	}
	bad := []struct{ in, want string }{
		{"captive_url = \"ftp://p.example.org/ok\"", "captive_url: scheme must be http or https"},
		{"captive_url = \"/ok\"", "captive_url: must be an absolute URL"},
		{"captive_url = \"http://u:p@p.example.org/ok\"", "captive_url: must not contain a user name or password"},
		{"captive_url = \"http:///ok\"", "captive_url: URL must have a host"},
		{"captive_url = 204", "relais.toml:2:"},
		{"captive_url = \"http://p.example.org/ok\"\ncaptive_expect_status = 199", "captive_expect_status: must be between 200 and 599"},
		{"captive_url = \"http://p.example.org/ok\"\ncaptive_expect_status = 600", "captive_expect_status: must be between 200 and 599"},
		{"captive_expect_status = 204", "captive_expect_status: only with captive_url"},
		{"captive_body = \"Success\"", "captive_body: unknown key"},
	}
	for _, tt := range bad {
		_, err := ParseManaged("relais.toml", []byte("trusted_keys = [\"k\"]\n"+tt.in+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "config: ") {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
}

// The packages' templates offer the system_proxy lock, and their [locked]
// table, uncommented, is one the parser accepts with it.
func TestTemplatesOfferSystemProxyLock(t *testing.T) {
	for _, p := range []string{"linux/relais.toml.example", "windows/relais.toml.template"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "installer", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		_, locked, ok := strings.Cut(string(b), "#[locked]\n")
		if !ok {
			t.Fatalf("%s: no [locked] table", p)
		}
		doc := "trusted_keys = [\"RWQ\"]\n[locked]\n"
		for _, l := range strings.Split(locked, "\n") {
			if !strings.HasPrefix(l, "#") || strings.HasPrefix(l, "# ") || l == "#" {
				break
			}
			doc += strings.TrimPrefix(l, "#") + "\n"
		}
		m, err := ParseManaged(p, []byte(doc))
		if err != nil {
			t.Fatalf("%s uncommented:\n%s\n%v", p, doc, err)
		}
		if m.Locked.SystemProxy == nil || !*m.Locked.SystemProxy {
			t.Errorf("%s: no system_proxy in its [locked] table:\n%s", p, doc)
		}
	}
}
