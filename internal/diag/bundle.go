package diag

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
	"strings"
	"time"

	"relais/internal/diag/bundle"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Limits of Open: a bundle is a few megabytes; anything far bigger is a
// mistake or a zip bomb.
const (
	maxBundleFiles = 64
	maxFileSize    = 16 << 20
	maxTotalSize   = 64 << 20
	// maxInputSize bounds what Open reads (compressed, maybe encrypted).
	maxInputSize = maxTotalSize + 1<<20
)

// errNoManifest is a zip without manifest.json.
var errNoManifest = errors.New("diag: not a diagnostics bundle (no manifest.json)")

// ageHeader starts every age file; armoredHeader an ASCII-armoured one.
const (
	ageHeader     = "age-encryption.org/v1\n"
	armoredHeader = armor.Header
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// writeZip writes the files in the bundle's order, deflated, dated
// created (the same bundle makes the same bytes).
func writeZip(w io.Writer, files map[string][]byte, created time.Time) error {
	zw := zip.NewWriter(w)
	for _, name := range fileOrder {
		data, ok := files[name]
		if !ok {
			continue
		}
		fh := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: created}
		fh.SetMode(0o644)
		f, err := zw.CreateHeader(fh)
		if err != nil {
			return fmt.Errorf("diag: zip %s: %w", name, err)
		}
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("diag: zip %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("diag: zip: %w", err)
	}
	return nil
}

// Open reads a bundle (zip, or age-encrypted zip with one of identities),
// checks every file against the manifest's SHA-256, and refuses anything
// malformed or oversized (zip bombs included).
func Open(r io.Reader, identities []age.Identity) (*Bundle, error) {
	br := bufio.NewReader(io.LimitReader(r, maxInputSize+1))
	head, _ := br.Peek(len(armoredHeader))
	var src io.Reader = br
	encrypted := false
	switch {
	case bytes.HasPrefix(head, []byte(ageHeader)):
		encrypted = true
	case bytes.HasPrefix(head, []byte(armoredHeader)):
		encrypted, src = true, armor.NewReader(br)
	}
	if encrypted {
		if len(identities) == 0 {
			return nil, ErrEncrypted
		}
		dr, err := age.Decrypt(src, identities...)
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("%w: %w", ErrEncrypted, err)
		}
		if err != nil {
			return nil, fmt.Errorf("diag: decrypt: %w", err)
		}
		src = dr
	}
	data, err := io.ReadAll(io.LimitReader(src, maxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("diag: read: %w", err)
	}
	if len(data) > maxInputSize {
		return nil, fmt.Errorf("diag: bundle over %d MiB", maxInputSize>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("diag: not a diagnostics bundle: %w", err)
	}
	if len(zr.File) > maxBundleFiles {
		return nil, fmt.Errorf("diag: bundle has %d files, at most %d allowed", len(zr.File), maxBundleFiles)
	}
	contents := map[string][]byte{}
	total := 0
	for _, f := range zr.File {
		if !validMemberName(f.Name) {
			return nil, fmt.Errorf("diag: bundle member %q: bad name", truncate(f.Name, 80))
		}
		if _, dup := contents[f.Name]; dup {
			return nil, fmt.Errorf("diag: bundle member %s twice", f.Name)
		}
		if f.UncompressedSize64 > maxFileSize {
			return nil, fmt.Errorf("diag: bundle member %s over %d MiB", f.Name, maxFileSize>>20)
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
		return nil, errNoManifest
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("diag: manifest.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("diag: manifest.json: data after the manifest")
	}
	if err := checkManifest(&m); err != nil {
		return nil, err
	}
	b := &Bundle{Manifest: m, Files: make(map[string][]byte, len(m.Files))}
	for _, e := range m.Files {
		data, ok := contents[e.Name]
		if !ok {
			return nil, fmt.Errorf("diag: %s is in the manifest but not in the bundle", e.Name)
		}
		if int64(len(data)) != e.Size || sha256Hex(data) != strings.ToLower(e.SHA256) {
			return nil, fmt.Errorf("diag: %s does not match the manifest (altered or damaged)", e.Name)
		}
		b.Files[e.Name] = data
	}
	for name := range contents {
		if _, listed := b.Files[name]; !listed && name != bundle.NameManifest {
			return nil, fmt.Errorf("diag: %s is in the bundle but not in the manifest", truncate(name, 80))
		}
	}
	return b, nil
}

// checkManifest refuses a manifest this version cannot read or that lists
// a file twice, the manifest itself or a bad name.
func checkManifest(m *Manifest) error {
	if m.Schema != Schema {
		return fmt.Errorf("diag: manifest schema %d, this Relais reads %d", m.Schema, Schema)
	}
	if !ValidCaseCode(m.CaseCode) {
		return fmt.Errorf("diag: manifest: bad case code %q", truncate(m.CaseCode, 40))
	}
	switch m.Level {
	case LevelNone, LevelStandard, LevelStrict:
	default:
		return fmt.Errorf("diag: manifest: unknown anonymisation level %q", truncate(string(m.Level), 40))
	}
	seen := map[string]bool{}
	for _, e := range m.Files {
		if !validMemberName(e.Name) || e.Name == bundle.NameManifest || seen[e.Name] {
			return fmt.Errorf("diag: manifest: bad or repeated file %q", truncate(e.Name, 80))
		}
		seen[e.Name] = true
		if len(e.SHA256) != sha256.Size*2 {
			return fmt.Errorf("diag: manifest: %s: bad SHA-256", e.Name)
		}
	}
	return nil
}

// validMemberName accepts the flat, plain names a bundle uses: no
// directory, no path traversal, nothing hidden.
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

// readMember reads one member, at most limit bytes whatever its header
// claims.
func readMember(f *zip.File, limit int) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("diag: bundle member %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("diag: bundle member %s: %w", f.Name, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("diag: bundle too large once uncompressed (member %s)", f.Name)
	}
	return b, nil
}
