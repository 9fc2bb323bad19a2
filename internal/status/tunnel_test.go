package status

import (
	"encoding/json"
	"strings"
	"testing"
)

// The endpoint in use is shown by name and address when the tunnel knows
// both, and the JSON of a tunnel that does not (system mode, an older
// Relais) is what it was.
func TestEndpointShown(t *testing.T) {
	for _, tc := range []struct {
		name, addr, want string
	}{
		{"vpn-secours.example.org:51820", "192.0.2.7:51820", "vpn-secours.example.org:51820 (192.0.2.7:51820)"},
		{"", "192.0.2.7:51820", "192.0.2.7:51820"},
		{"192.0.2.7:51820", "192.0.2.7:51820", "192.0.2.7:51820"},
		{"vpn.example.org:51820", "", "vpn.example.org:51820"},
		{"", "", ""},
	} {
		if got := (Tunnel{EndpointName: tc.name, Endpoint: tc.addr}).EndpointShown(); got != tc.want {
			t.Errorf("EndpointShown(%q, %q) = %q, want %q", tc.name, tc.addr, got, tc.want)
		}
	}
	b, _ := json.Marshal(Tunnel{Endpoint: "192.0.2.7:51820"})
	if strings.Contains(string(b), "endpoint_name") {
		t.Errorf("a tunnel without a name: %s", b)
	}
	var old Tunnel
	if err := json.Unmarshal([]byte(`{"mode":"userspace","up":true,"endpoint":"192.0.2.7:51820"}`), &old); err != nil || old.EndpointShown() != "192.0.2.7:51820" {
		t.Errorf("an older Relais's record: %v %+v", err, old)
	}
}
