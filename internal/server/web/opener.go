package web

// Opening a bundle on the server. internal/diag's Open cannot be imported
// here: diag pulls the tunnel, gVisor and the laptop's SQLite store into
// the server's binary. This is the same opener, over the same value types
// (internal/diag/bundle) and with the same limits; its test holds it to
// diag.Open on real and damaged bundles.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"

	"relais/internal/casecode"
	"relais/internal/diag/bundle"
)

const (
	maxBundleFiles = 64
	maxFileSize    = 16 << 20
	maxTotalSize   = 64 << 20
	maxInputSize   = maxTotalSize + 1<<20
	ageHeader      = "age-encryption.org/v1\n"
)

// errEncrypted: encrypted, and no identity given opens it.
var errEncrypted = errors.New("the bundle is encrypted and no identity given opens it")

// isEncrypted says whether a stored body is an age file.
func isEncrypted(body []byte) bool {
	return bytes.HasPrefix(body, []byte(ageHeader)) || bytes.HasPrefix(body, []byte(armor.Header))
}

// openBundle reads a bundle (zip, or age-encrypted zip), checks every
// file against the manifest, and refuses anything malformed or oversized.
func openBundle(r io.Reader, identities []age.Identity) (*bundle.Bundle, error) {
	br := bufio.NewReader(io.LimitReader(r, maxInputSize+1))
	head, _ := br.Peek(len(armor.Header))
	var src io.Reader = br
	encrypted := false
	switch {
	case bytes.HasPrefix(head, []byte(ageHeader)):
		encrypted = true
	case bytes.HasPrefix(head, []byte(armor.Header)):
		encrypted, src = true, armor.NewReader(br)
	}
	if encrypted {
		if len(identities) == 0 {
			return nil, errEncrypted
		}
		dr, err := age.Decrypt(src, identities...)
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("%w: %w", errEncrypted, err)
		}
		if err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
		src = dr
	}
	data, err := io.ReadAll(io.LimitReader(src, maxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > maxInputSize {
		return nil, fmt.Errorf("bundle over %d MiB", maxInputSize>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a diagnostics bundle: %w", err)
	}
	if len(zr.File) > maxBundleFiles {
		return nil, fmt.Errorf("bundle has %d files, at most %d allowed", len(zr.File), maxBundleFiles)
	}
	contents := map[string][]byte{}
	total := 0
	for _, f := range zr.File {
		if !validMemberName(f.Name) {
			return nil, errors.New("bundle member with a bad name")
		}
		if _, dup := contents[f.Name]; dup {
			return nil, fmt.Errorf("bundle member %s twice", f.Name)
		}
		if f.UncompressedSize64 > maxFileSize {
			return nil, fmt.Errorf("bundle member %s over %d MiB", f.Name, maxFileSize>>20)
		}
		b, err := readMember(f, min(maxFileSize, maxTotalSize-total))
		if err != nil {
			return nil, err
		}
		total += len(b)
		contents[f.Name] = b
	}
	mb, ok := contents[bundle.NameManifest]
	if !ok {
		return nil, errors.New("not a diagnostics bundle (no manifest.json)")
	}
	var m bundle.Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("manifest.json: data after the manifest")
	}
	if err := checkManifest(&m); err != nil {
		return nil, err
	}
	b := &bundle.Bundle{Manifest: m, Files: make(map[string][]byte, len(m.Files))}
	for _, e := range m.Files {
		data, ok := contents[e.Name]
		if !ok {
			return nil, fmt.Errorf("%s is in the manifest but not in the bundle", e.Name)
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != e.Size || hex.EncodeToString(sum[:]) != strings.ToLower(e.SHA256) {
			return nil, fmt.Errorf("%s does not match the manifest (altered or damaged)", e.Name)
		}
		b.Files[e.Name] = data
	}
	for name := range contents {
		if _, listed := b.Files[name]; !listed && name != bundle.NameManifest {
			return nil, errors.New("a file is in the bundle but not in the manifest")
		}
	}
	return b, nil
}

func checkManifest(m *bundle.Manifest) error {
	if m.Schema != bundle.Schema {
		return fmt.Errorf("manifest schema %d, this Relais reads %d", m.Schema, bundle.Schema)
	}
	if !casecode.Valid(m.CaseCode) {
		return errors.New("manifest: bad case code")
	}
	switch m.Level {
	case bundle.LevelNone, bundle.LevelStandard, bundle.LevelStrict:
	default:
		return errors.New("manifest: unknown anonymisation level")
	}
	seen := map[string]bool{}
	for _, e := range m.Files {
		if !validMemberName(e.Name) || e.Name == bundle.NameManifest || seen[e.Name] {
			return errors.New("manifest: bad or repeated file")
		}
		seen[e.Name] = true
		if len(e.SHA256) != sha256.Size*2 {
			return fmt.Errorf("manifest: %s: bad SHA-256", e.Name)
		}
	}
	return nil
}

func validMemberName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func readMember(f *zip.File, limit int) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("bundle member %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("bundle member %s: %w", f.Name, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("bundle too large once uncompressed (member %s)", f.Name)
	}
	return b, nil
}

// essentialFailing says whether the bundle's last check report has an
// essential app not working; ok is false when it has no report.
func essentialFailing(b *bundle.Bundle) (failing, ok bool) {
	var cf bundle.ChecksFile
	if err := json.Unmarshal(b.Files[bundle.NameChecks], &cf); err != nil || cf.LastReport == nil {
		return false, false
	}
	return !cf.LastReport.EssentialsOK(), true
}

// summaryFragment is the bundle's summary.html (bundle.SummaryHTML) as a
// part of a page: its body only, its headings one level down, its
// header, main and footer as plain blocks, bidi controls neutralised.
// Every text of the bundle in it was escaped by html/template, so the
// tags replaced here can only be the template's own.
func summaryFragment(b *bundle.Bundle, lang string) (string, error) {
	page, err := bundle.SummaryHTML(b, lang)
	if err != nil {
		return "", err
	}
	s := string(page)
	i, j := strings.Index(s, "<body>"), strings.LastIndex(s, "</body>")
	if i < 0 || j < i {
		return "", errors.New("summary.html without a body")
	}
	s = s[i+len("<body>") : j]
	s = strings.NewReplacer(
		`<header id="verdict" class="verdict`, `<section id="verdict" class="verdict`, "</header>", "</section>",
		"<main>", `<div class="details">`, "</main>", "</div>",
		"<footer>", `<p class="meta">`, "</footer>", "</p>",
		"<h1>", "<h2>", "</h1>", "</h2>", "<h2>", "<h3>", "</h2>", "</h3>",
	).Replace(s)
	return cleanText(s), nil
}

// ErrIdentity: helpdesk_identity_file is missing, unreadable or holds no
// age identity.
var ErrIdentity = errors.New("web: helpdesk identity")

// LoadIdentities reads the helpdesk's age identities (helpdesk_identity_
// file: one AGE-SECRET-KEY-… a line, comments allowed). The error never
// quotes the file.
func LoadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIdentity, err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: no age identity could be read", ErrIdentity, path)
	}
	return ids, nil
}
