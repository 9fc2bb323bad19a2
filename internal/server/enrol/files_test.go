package enrol

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/enrolment"
	"relais/internal/server/avis"
	"relais/internal/server/db"
)

const tokensText = `# IT's setup tokens
[[token]]
name = "rentree-2027"
sha256 = "%s"
uses = 3000
expires = 2027-03-01T00:00:00Z

[[token]]
name = "siege"
sha256 = "%s"
uses = 50
expires = 2027-01-15T08:00:00+01:00
`

func TestParseSetupTokens(t *testing.T) {
	t.Parallel()
	h1, h2 := enrolment.Hash("rlst_a"), enrolment.Hash("rlst_b")
	toks, err := ParseSetupTokens([]byte(fmt.Sprintf(tokensText, h1, h2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || toks[0] != (db.FileToken{Name: "rentree-2027", Hash: h1, MaxUses: 3000, Expires: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}) ||
		toks[1].Name != "siege" || toks[1].MaxUses != 50 || !toks[1].Expires.Equal(time.Date(2027, 1, 15, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", toks)
	}
	if toks, err := ParseSetupTokens(nil); err != nil || len(toks) != 0 {
		t.Fatalf("empty file: %v %v", toks, err)
	}
	entry := func(name, sha, uses, expires string) string {
		s := "[[token]]\nname = " + name + "\nsha256 = " + sha + "\nuses = " + uses + "\n"
		if expires != "" {
			s += "expires = " + expires + "\n"
		}
		return s
	}
	good := `"` + h1 + `"`
	for name, tc := range map[string]struct{ text, code string }{
		"unknown key":   {entry(`"a"`, good, "1", "2027-01-01T00:00:00Z") + "token = \"rlst_x\"\n", TokensSyntax},
		"not toml":      {"[[token]\n", TokensSyntax},
		"uses string":   {entry(`"a"`, good, `"1"`, "2027-01-01T00:00:00Z"), TokensSyntax},
		"no name":       {entry(`""`, good, "1", "2027-01-01T00:00:00Z"), TokensInvalid},
		"control name":  {entry(`"a\u0007"`, good, "1", "2027-01-01T00:00:00Z"), TokensInvalid},
		"bad hash":      {entry(`"a"`, `"rlst_the_token_itself"`, "1", "2027-01-01T00:00:00Z"), TokensInvalid},
		"upper hash":    {entry(`"a"`, `"`+strings.ToUpper(h1)+`"`, "1", "2027-01-01T00:00:00Z"), TokensInvalid},
		"zero uses":     {entry(`"a"`, good, "0", "2027-01-01T00:00:00Z"), TokensInvalid},
		"no expiry":     {entry(`"a"`, good, "1", ""), TokensInvalid},
		"name twice":    {entry(`"a"`, good, "1", "2027-01-01T00:00:00Z") + entry(`"a"`, good, "1", "2027-01-01T00:00:00Z"), TokensInvalid},
		"too many uses": {entry(`"a"`, good, "1000001", "2027-01-01T00:00:00Z"), TokensInvalid},
	} {
		_, err := ParseSetupTokens([]byte(tc.text))
		var te *TokensFileError
		if !errors.As(err, &te) || te.Code != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	if _, err := LoadSetupTokens(filepath.Join(t.TempDir(), "none.toml")); err == nil || err.(*TokensFileError).Code != TokensUnreadable {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzParseSetupTokens(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(tokensText, enrolment.Hash("x"), enrolment.Hash("y"))))
	f.Add([]byte("[[token]]\nname = 1\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := ParseSetupTokens(data)
		if err != nil {
			var te *TokensFileError
			if !errors.As(err, &te) || te.Code == "" {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, tk := range toks {
			if tk.Name == "" || seen[tk.Name] || !isHex64(tk.Hash) || tk.MaxUses < 1 || tk.Expires.IsZero() {
				t.Fatalf("accepted %+v", tk)
			}
			seen[tk.Name] = true
		}
	})
}

// The grant key: the notice key's checks, with the same codes.
func TestLoadGrantKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, priv, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	text, err := priv.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "grant.key")
	if err := os.WriteFile(good, text, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadGrantKey(good)
	if err != nil || !k.Equal(priv) {
		t.Fatalf("%v", err)
	}
	open := filepath.Join(dir, "open.key")
	if err := os.WriteFile(open, text, 0o644); err != nil {
		t.Fatal(err)
	}
	// An encrypted key: the same bytes with the scrypt KDF marked (the
	// real scrypt takes a gigabyte).
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(string(text), "\n", 2)[1]))
	raw[2], raw[3] = 'S', 'c'
	enc := []byte("untrusted comment: minisign encrypted secret key\n" + base64.StdEncoding.EncodeToString(raw) + "\n")
	if !minisign.IsEncrypted(enc) {
		t.Fatal("the crafted key is not marked encrypted")
	}
	encPath := filepath.Join(dir, "enc.key")
	if err := os.WriteFile(encPath, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.key")
	if err := os.WriteFile(junk, []byte("untrusted comment: x\nnope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, code := range map[string]string{filepath.Join(dir, "none"): avis.KeyUnreadable, open: avis.KeyPermissions,
		encPath: avis.KeyEncrypted, junk: avis.KeyInvalid, dir: avis.KeyUnreadable} {
		_, err := LoadGrantKey(path)
		var ke *avis.KeyError
		if !errors.As(err, &ke) || ke.Code != code {
			t.Errorf("%s: %v, want %s", filepath.Base(path), err, code)
		}
		// The notice key's loader, naming the key it read.
		if err != nil && !strings.HasPrefix(err.Error(), "grant key "+path) {
			t.Errorf("%s: %q does not name the grant key", filepath.Base(path), err)
		}
	}
}
