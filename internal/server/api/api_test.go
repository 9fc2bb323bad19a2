package api

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestWithStatusAnswersItsStatusOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	w := WithStatus(rec, http.StatusConflict)
	w.WriteHeader(http.StatusOK) // what a page renderer asks
	w.WriteHeader(http.StatusTeapot)
	if _, err := w.Write([]byte("page")); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusConflict || rec.Body.String() != "page" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	if _, err := WithStatus(rec, http.StatusNotFound).Write([]byte("x")); err != nil || rec.Code != http.StatusNotFound {
		t.Fatalf("a write alone: %d %v", rec.Code, err)
	}
}

func TestSource(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:4242":          "192.0.2.7",
		"[::ffff:192.0.2.7]:4242": "192.0.2.7",
		"[2001:db8::1]:80":        "2001:db8::1",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := Source(r); got != netip.MustParseAddr(want) {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]int{"id": 7})
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != "{\"id\":7}\n" {
		t.Fatalf("%d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}
