package diag

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"relais/internal/diag/bundle"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// smallBundle is a real bundle, unencrypted.
func smallBundle(t testing.TB) []byte {
	t.Helper()
	in, _ := sampleInput(t)
	raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: defaultCollectors(fakeSources())})
	return raw
}

// rezip writes members as given (name → content), in order.
func rezip(t testing.TB, members [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m[0], Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// members are a real bundle's members, manifest first, to alter.
func members(t testing.TB) ([][2]string, Manifest) {
	t.Helper()
	files := unzip(t, smallBundle(t))
	var m Manifest
	if err := json.Unmarshal(files[bundle.NameManifest], &m); err != nil {
		t.Fatal(err)
	}
	out := [][2]string{{bundle.NameManifest, string(files[bundle.NameManifest])}}
	for _, f := range m.Files {
		out = append(out, [2]string{f.Name, string(files[f.Name])})
	}
	return out, m
}

func manifestJSON(t testing.TB, m Manifest) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOpenRoundTrip(t *testing.T) {
	raw := smallBundle(t)
	b, err := Open(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, raw)
	if len(b.Files) != len(files)-1 {
		t.Errorf("%d files, want %d (all but the manifest)", len(b.Files), len(files)-1)
	}
	for name, data := range b.Files {
		if !bytes.Equal(data, files[name]) {
			t.Errorf("%s differs", name)
		}
	}
	// An armoured age file opens too.
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	w.Close()
	aw.Close()
	if _, err := Open(bytes.NewReader(buf.Bytes()), []age.Identity{id}); err != nil {
		t.Errorf("armoured: %v", err)
	}
}

// Open refuses what is not a whole, unaltered bundle, and anything too
// big once uncompressed.
func TestOpenRefuses(t *testing.T) {
	ms, m := members(t)
	with := func(f func(ms [][2]string, m *Manifest) [][2]string) []byte {
		cp := append([][2]string(nil), ms...)
		mm := m
		mm.Files = append([]FileEntry(nil), m.Files...)
		cp = f(cp, &mm)
		if cp[0][0] == bundle.NameManifest && cp[0][1] == ms[0][1] {
			cp[0][1] = manifestJSON(t, mm)
		}
		return rezip(t, cp)
	}
	zeros := strings.Repeat("\x00", 15<<20)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a diagnostics bundle"},
		{"garbage", []byte("hello, this is not a zip"), "not a diagnostics bundle"},
		{"no manifest", rezip(t, ms[1:]), "no manifest.json"},
		{"altered file", with(func(ms [][2]string, m *Manifest) [][2]string {
			ms[len(ms)-1][1] = strings.Replace(ms[len(ms)-1][1], "engine", "enGine", 1)
			return ms
		}), "does not match the manifest"},
		{"missing file", with(func(ms [][2]string, m *Manifest) [][2]string { return ms[:len(ms)-1] }), "not in the bundle"},
		{"extra file", with(func(ms [][2]string, m *Manifest) [][2]string { return append(ms, [2]string{"extra.txt", "x"}) }), "not in the manifest"},
		{"path traversal", with(func(ms [][2]string, m *Manifest) [][2]string {
			return append(ms, [2]string{"../../.bashrc", "x"})
		}), "bad name"},
		{"directory", with(func(ms [][2]string, m *Manifest) [][2]string { return append(ms, [2]string{"sub/file.txt", "x"}) }), "bad name"},
		{"absolute", with(func(ms [][2]string, m *Manifest) [][2]string { return append(ms, [2]string{"/etc/passwd", "x"}) }), "bad name"},
		{"same name twice", with(func(ms [][2]string, m *Manifest) [][2]string { return append(ms, ms[1]) }), "twice"},
		{"unknown manifest field", with(func(ms [][2]string, m *Manifest) [][2]string {
			ms[0][1] = strings.Replace(manifestJSON(t, *m), `"schema":1`, `"schema":1,"exec":"rm -rf"`, 1)
			return ms
		}), "unknown field"},
		{"newer schema", with(func(ms [][2]string, m *Manifest) [][2]string { m.Schema = 2; return ms }), "schema 2"},
		{"bad case code", with(func(ms [][2]string, m *Manifest) [][2]string { m.CaseCode = "RLS-0000-0000"; return ms }), "bad case code"},
		{"manifest lists itself", with(func(ms [][2]string, m *Manifest) [][2]string {
			m.Files = append(m.Files, FileEntry{Name: bundle.NameManifest, SHA256: strings.Repeat("0", 64)})
			return ms
		}), "bad or repeated"},
		{"manifest lists a file twice", with(func(ms [][2]string, m *Manifest) [][2]string { m.Files = append(m.Files, m.Files[0]); return ms }), "bad or repeated"},
		{"too many files", func() []byte {
			var many [][2]string
			for i := 0; i <= maxBundleFiles; i++ {
				many = append(many, [2]string{"f" + strconv.Itoa(i) + ".txt", "x"})
			}
			return rezip(t, many)
		}(), "at most 64"},
		{"member over 16 MiB", rezip(t, [][2]string{{bundle.NameManifest, "{}"}, {"big.txt", zeros + zeros[:2<<20]}}), "over 16 MiB"},
		{"zip bomb over 64 MiB in all", rezip(t, [][2]string{{"a.txt", zeros}, {"b.txt", zeros}, {"c.txt", zeros}, {"d.txt", zeros}, {"e.txt", zeros}}), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tt.data), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if errors.Is(err, ErrEncrypted) {
				t.Errorf("a plain file taken for an encrypted one")
			}
		})
	}
}

// A member whose header lies about its size is cut at the limit all
// the same.
func TestOpenDoesNotTrustSizes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	pw, err := zw.CreateHeader(&zip.FileHeader{Name: "x.txt", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(make([]byte, 17<<20))
	zw.Close()
	raw := buf.Bytes()
	// Rewrite the uncompressed size in the central directory to 1 byte.
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	size := zr.File[0].UncompressedSize64
	le := []byte{byte(size), byte(size >> 8), byte(size >> 16), byte(size >> 24)}
	i := bytes.LastIndex(raw, le)
	if i < 0 {
		t.Fatal("size not found")
	}
	copy(raw[i:], []byte{1, 0, 0, 0})
	if _, err := Open(bytes.NewReader(raw), nil); err == nil {
		t.Error("a member bigger than its header says was accepted")
	}
}

// FuzzOpen: whatever the bytes, Open neither panics nor returns a bundle
// whose files do not match its manifest.
func FuzzOpen(f *testing.F) {
	raw := smallBundle(f)
	f.Add(raw)
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\n"))
	f.Add(raw[:len(raw)/2])
	f.Add(rezip(f, [][2]string{{bundle.NameManifest, `{"schema":1,"case_code":"RLS-7K3M-Q9TD","anonymisation":"none","files":[]}`}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Open(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		if len(b.Files) != len(b.Manifest.Files) {
			t.Fatalf("%d files for %d manifest entries", len(b.Files), len(b.Manifest.Files))
		}
		total := 0
		for _, e := range b.Manifest.Files {
			d, ok := b.Files[e.Name]
			if !ok || sha256Hex(d) != strings.ToLower(e.SHA256) || int64(len(d)) != e.Size || !validMemberName(e.Name) {
				t.Fatalf("%s does not match its entry", e.Name)
			}
			total += len(d)
		}
		if total > maxTotalSize {
			t.Fatalf("%d bytes", total)
		}
		_ = Summary(b, "fr") // never panics on what Open accepted
	})
}
