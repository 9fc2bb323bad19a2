package backend

import "testing"

// The server behind an intake URL: only a Relais server's intake path,
// over https (or http to loopback), without a query or user information.
func TestServerBase(t *testing.T) {
	for _, c := range []struct{ raw, suffix, want string }{
		{"https://relais.example.org/v1/reports", "/v1/reports", "https://relais.example.org"},
		{"https://example.org/relais/v1/bundles", "/v1/bundles", "https://example.org/relais"},
		{"http://127.0.0.1:8443/v1/reports", "/v1/reports", "http://127.0.0.1:8443"},
		{"http://relais.example.org/v1/reports", "/v1/reports", ""},
		{"https://relais.example.org/v1/reports?t=secret", "/v1/reports", ""},
		{"https://u:p@relais.example.org/v1/reports", "/v1/reports", ""},
		{"https://relais.example.org/rapports", "/v1/reports", ""},
		{"https://relais.example.org/v1/reports", "/v1/bundles", ""},
		{"", "/v1/reports", ""},
		{"/v1/reports", "/v1/reports", ""},
	} {
		if got := serverBase(c.raw, c.suffix); got != c.want {
			t.Errorf("serverBase(%q, %q) = %q, want %q", c.raw, c.suffix, got, c.want)
		}
	}
}
