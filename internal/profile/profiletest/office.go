// Package profiletest publishes signed continuity profiles from a local web
// server for tests, the way a continuity team publishes them on any web
// server: ETag and conditional GET, a detached .minisig, pinned assets. It
// is imported by tests only and must never be used by the app.
package profiletest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"
)

// Paths the office serves.
const (
	ProfilePath   = "/relais/profile.toml"
	SignaturePath = "/relais/profile.toml.minisig"
	AssetPath     = "/relais/etape1.png"
)

// Office is a local web server publishing a profile.
type Office struct {
	srv *httptest.Server

	mu       sync.Mutex // guards the maps below
	files    map[string][]byte
	hits     map[string]int
	inm      map[string]string // last If-None-Match received, by path
	override map[string]http.HandlerFunc
}

// New starts an office, stopped when the test ends.
func New(t testing.TB) *Office {
	o := &Office{files: map[string][]byte{}, hits: map[string]int{}, inm: map[string]string{}, override: map[string]http.HandlerFunc{}}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *Office) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.hits[r.URL.Path]++
	o.inm[r.URL.Path] = r.Header.Get("If-None-Match")
	b, ok := o.files[r.URL.Path]
	h := o.override[r.URL.Path]
	o.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(b))
}

// URL is the profile's URL.
func (o *Office) URL() string { return o.srv.URL + ProfilePath }

// Base is the server's root URL.
func (o *Office) Base() string { return o.srv.URL }

// Set serves b at path.
func (o *Office) Set(path string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[path] = b
}

// Remove stops serving path.
func (o *Office) Remove(path string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.files, path)
}

// Override makes h answer path; nil removes the override.
func (o *Office) Override(path string, h http.HandlerFunc) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if h == nil {
		delete(o.override, path)
		return
	}
	o.override[path] = h
}

// Hits counts the requests for path.
func (o *Office) Hits(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

// IfNoneMatch is the last If-None-Match header received for path.
func (o *Office) IfNoneMatch(path string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inm[path]
}

// Publish serves the testdata example profile with the given serial, its
// URLs pointing at this office, signed by sk, with its asset. It returns
// the profile's bytes.
func (o *Office) Publish(t testing.TB, sk minisign.PrivateKey, serial int) []byte {
	t.Helper()
	body := Example(t, o.srv.URL, serial)
	o.Set(ProfilePath, body)
	o.Set(SignaturePath, minisign.Sign(sk, body))
	o.Set(AssetPath, Testdata(t, "profiles", "assets", "etape1.png"))
	return body
}

// Example is testdata/profiles/example.toml with its serial replaced and
// its continuity-team URLs pointing at base.
func Example(t testing.TB, base string, serial int) []byte {
	t.Helper()
	s := strings.ReplaceAll(string(Testdata(t, "profiles", "example.toml")), "https://continuite.example.org/relais/", base+"/relais/")
	s = strings.Replace(s, "serial = 7\n", fmt.Sprintf("serial = %d\n", serial), 1)
	return []byte(s)
}

// Testdata reads a file under the repository's testdata directory.
func Testdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..", "..", "testdata")
	b, err := os.ReadFile(filepath.Join(append([]string{root}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
