package office

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"relais/internal/profile"
)

// With HelpdeskKeyFile, the demo helpdesk's identity is kept in that file
// (0600, an age identity file): the profile publishes its recipient, a
// file encrypted to it opens with the file, and the next office reuses it.
// A damaged file is replaced.
func TestHelpdeskKeyPersisted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo") // not created yet
	path := filepath.Join(dir, HelpdeskKeyName)
	start := func() *Office {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		o, err := Start(ctx, Options{HelpdeskKeyFile: path})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		return o
	}
	o := start()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}
	if o.HelpdeskKeyFile != path {
		t.Errorf("HelpdeskKeyFile %q, want %q", o.HelpdeskKeyFile, path)
	}
	p, err := profile.Accept("profile.toml", o.Profile, o.Signature, []minisign.PublicKey{o.TrustedKey}, profile.Previous{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	recip, err := age.ParseX25519Recipient(p.Helpdesk.AgeRecipient)
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	w, _ := age.Encrypt(&enc, recip)
	io.WriteString(w, "diagnostic")
	w.Close()
	raw, _ := os.ReadFile(path)
	ids, err := age.ParseIdentities(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the key file is not an age identity file: %v\n%s", err, raw)
	}
	rd, err := age.Decrypt(&enc, ids...)
	if err != nil {
		t.Fatalf("the key file does not open what is encrypted to the profile's recipient: %v", err)
	}
	if b, _ := io.ReadAll(rd); string(b) != "diagnostic" {
		t.Fatalf("decrypted %q", b)
	}

	if again := start(); again.HelpdeskIdentity.Recipient().String() != p.Helpdesk.AgeRecipient {
		t.Error("a second office made a new key: bundles made before no longer open")
	}

	os.WriteFile(path, []byte("abîmé"), 0o644)
	o3 := start()
	raw, _ = os.ReadFile(path)
	ids, err = age.ParseIdentities(bytes.NewReader(raw))
	if fi, _ := os.Stat(path); err != nil || len(ids) != 1 || fi.Mode().Perm() != 0o600 ||
		ids[0].(*age.X25519Identity).Recipient().String() != o3.HelpdeskIdentity.Recipient().String() {
		t.Errorf("a damaged key file was not replaced: %v %s", err, raw)
	}

	// Without a file: a throwaway key, nothing written.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o4, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o4.Close()
	if o4.HelpdeskIdentity == nil || o4.HelpdeskKeyFile != "" {
		t.Errorf("no file asked: identity %v, file %q", o4.HelpdeskIdentity, o4.HelpdeskKeyFile)
	}
}
