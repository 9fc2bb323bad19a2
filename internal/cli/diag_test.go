package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aead.dev/minisign"
	"filippo.io/age"

	"relais/internal/profile/profiletest"
	"relais/internal/store"
)

// Secrets planted everywhere they could leak from — the device's private
// key in the keyring, tokens in the profile's URLs and in the managed
// configuration, a bearer token and a token in the log — and a bundle
// exported at every anonymisation level: none of them is anywhere in the
// bundle, neither in its raw bytes nor in any unzipped file; the private
// key is in no file of the database either.
func TestDiagExportCarriesNoSecret(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	body := string(profiletest.Example(t, o.Base(), 7))
	body = strings.Replace(body, `profile_url = "`+o.Base()+`/relais/profile.toml"`, `profile_url = "`+o.Base()+`/relais/profile.toml?token=TOKEN-PROFILE-URL-123"`, 1)
	body = strings.Replace(body, `url = "https://portail.intra.example.org/"`, `url = "https://portail.intra.example.org/?access_token=TOKEN-LINK-4567"`, 1)
	if !strings.Contains(body, "TOKEN-PROFILE-URL-123") || !strings.Contains(body, "TOKEN-LINK-4567") {
		t.Fatal("the tokens were not planted in the profile")
	}
	o.Set(profiletest.ProfilePath, []byte(body))
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, []byte(body)))
	o.Set(profiletest.AssetPath, profiletest.Testdata(t, "profiles", "assets", "etape1.png"))
	m := newMachine(t)
	kr := fakeKeyring(m)
	m.manage(strings.Replace(o.URL(), "http://", "http://relais:TOKEN-MANAGED-7890@", 1), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("profile sync: %+v", r)
	}
	if r := m.run("key", "generate"); r.code != ExitOK {
		t.Fatalf("key generate: %+v", r)
	}
	priv := storedKey(kr)
	if len(priv) != 44 {
		t.Fatalf("no key in the keyring: %q", priv)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"proxy said Authorization: Bearer TOKEN-LOG-ABCDEF", "fetch https://x.example.org/a?token=TOKEN-LOG-GHIJKL failed"} {
		if err := db.LogEvent(context.Background(), "test", line); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	secrets := []string{priv, "TOKEN-PROFILE-URL-123", "TOKEN-LINK-4567", "TOKEN-MANAGED-7890", "TOKEN-LOG-ABCDEF", "TOKEN-LOG-GHIJKL"}
	dir := t.TempDir()
	for _, level := range []string{"none", "standard", "strict"} {
		out := filepath.Join(dir, level+".zip")
		r := m.run("diag", "export", "--anonymize", level, "-o", out, "--json")
		var res struct {
			CaseCode string `json:"case_code"`
			Path     string `json:"path"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != ExitOK || res.Path != out {
			t.Fatalf("diag export %s: %d %v\n%s%s", level, r.code, err, r.stdout, r.stderr)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files := unzipAll(t, raw)
		if _, ok := files["summary.html"]; !ok {
			t.Fatalf("%s: no summary.html in %v", level, keys(files))
		}
		for _, s := range secrets {
			for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
				if bytes.Contains(raw, []byte(form)) {
					t.Errorf("%s: the raw bundle contains %q", level, form)
				}
				for name, b := range files {
					if bytes.Contains(b, []byte(form)) {
						t.Errorf("%s: %s contains %q", level, name, form)
					}
				}
			}
		}
	}
	err = filepath.WalkDir(m.vars["RELAIS_HOME"], func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(priv)) {
			t.Errorf("the private key is in %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An encrypted bundle opens with the helpdesk's identity only:
// `relais diag open` without one asks for it, with another says it does
// not open it.
func TestDiagEncryptedOpensWithTheIdentityOnly(t *testing.T) {
	t.Parallel()
	helpdesk, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	body := string(profiletest.Example(t, o.Base(), 7))
	body = strings.Replace(body, `age_recipient = "age14ll9why5lrl2vjw5xv6yrzaedlcfg8v65mxqaf2mj5f086ezwumsf02w77"`, `age_recipient = "`+helpdesk.Recipient().String()+`"`, 1)
	o.Set(profiletest.ProfilePath, []byte(body))
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, []byte(body)))
	o.Set(profiletest.AssetPath, profiletest.Testdata(t, "profiles", "assets", "etape1.png"))
	m := newMachine(t)
	m.manage(o.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("profile sync: %+v", r)
	}
	dir := t.TempDir()
	r := m.run("diag", "export", "--encrypt", "-o", dir, "--json")
	var res struct {
		CaseCode  string `json:"case_code"`
		Path      string `json:"path"`
		Encrypted bool   `json:"encrypted"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != ExitOK || !res.Encrypted ||
		filepath.Base(res.Path) != "relais-diag-"+res.CaseCode+".zip.age" {
		t.Fatalf("diag export --encrypt: %d %v %+v\n%s", r.code, err, res, r.stderr)
	}
	raw, _ := os.ReadFile(res.Path)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) {
		t.Fatal("the bundle is not an age file")
	}
	keyFile := func(id *age.X25519Identity) string {
		p := filepath.Join(t.TempDir(), "key.txt")
		if err := os.WriteFile(p, []byte(id.String()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if r := m.run("diag", "open", res.Path); r.code != ExitUsage || !strings.Contains(r.stderr, "--identity") {
		t.Errorf("open without identity: %d %s", r.code, r.stderr)
	}
	if r := m.run("diag", "open", res.Path, "--identity", keyFile(other)); r.code != ExitUsage || !strings.Contains(r.stderr, "n'ouvre pas") {
		t.Errorf("open with another identity: %d %s", r.code, r.stderr)
	}
	r = m.run("diag", "open", res.Path, "--identity", keyFile(helpdesk))
	if r.code != ExitOK || !strings.Contains(r.stdout, res.CaseCode) {
		t.Errorf("open with the helpdesk's identity: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func unzipAll(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
	}
	return files
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
