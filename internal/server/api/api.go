// Package api holds what every JSON endpoint of the organisation's server
// shares: how an answer is written and who is asking.
package api

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
)

// WriteJSON answers status with v as JSON (one line).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// Source is the request's peer address (unmapped): the unit of rate
// limits and of trust.
func Source(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// WithStatus is w answering status, whatever status the code writing to
// it asks for first: a page renderer that knows no status (200) can then
// answer 400 with a form's errors, 404 or 409.
func WithStatus(w http.ResponseWriter, status int) http.ResponseWriter {
	return &statusWriter{ResponseWriter: w, status: status}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(int) {
	if !s.wrote {
		s.wrote = true
		s.ResponseWriter.WriteHeader(s.status)
	}
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.WriteHeader(s.status)
	return s.ResponseWriter.Write(b)
}
