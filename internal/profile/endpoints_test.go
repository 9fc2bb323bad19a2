package profile

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// tunnel.endpoints: standby gateways after tunnel.endpoint, either of the
// two alone, each a host:port, at most MaxEndpoints, none twice; every
// error names the file, the line and the path.
func TestEndpoints(t *testing.T) {
	const ep = "endpoint = \"vpn.example.org:51820\"\n"
	many := make([]string, MaxEndpoints+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprintf("vpn-%d.example.org:51820", i))
	}
	cases := []struct {
		name, new, want string
		list            []string // EndpointList when valid
	}{
		{"endpoint alone", ep, "", []string{"vpn.example.org:51820"}},
		{"endpoints alone", "endpoints = [\"a.example.org:51820\", \"b.example.org:51821\"]\n", "", []string{"a.example.org:51820", "b.example.org:51821"}},
		{"both", ep + "endpoints = [\"vpn-secours.example.org:51820\", \"192.0.2.7:51820\"]\n", "",
			[]string{"vpn.example.org:51820", "vpn-secours.example.org:51820", "192.0.2.7:51820"}},
		{"neither", "", "7: tunnel.endpoint: required", nil},
		{"endpoints empty", "endpoints = []\n", "8: tunnel.endpoints: must not be empty", nil},
		{"empty list beside endpoint", ep + "endpoints = []\n", "", []string{"vpn.example.org:51820"}},
		{"endpoint empty", "endpoint = \"\"\nendpoints = [\"a.example.org:51820\"]\n", "8: tunnel.endpoint: must not be empty", nil},
		{"bad host", ep + "endpoints = [\"a.example.org:51820\",\n  \"vpn secours:51820\"]\n", `10: tunnel.endpoints[1]: invalid host "vpn secours"`, nil},
		{"no port", ep + "endpoints = [\"vpn-secours.example.org\"]\n", "9: tunnel.endpoints[0]: must be host:port", nil},
		{"port", ep + "endpoints = [\"vpn-secours.example.org:0\"]\n", "9: tunnel.endpoints[0]: port must be between 1 and 65535", nil},
		{"blank", ep + "endpoints = [\" \"]\n", "9: tunnel.endpoints[0]: must not be empty", nil},
		{"same as endpoint", ep + "endpoints = [\"VPN.example.org:51820\"]\n", `9: tunnel.endpoints[0]: endpoint "VPN.example.org:51820" is already listed`, nil},
		{"twice", ep + "endpoints = [\"b.example.org:51820\",\n  \"b.example.org:51820\"]\n", `10: tunnel.endpoints[1]: endpoint "b.example.org:51820" is already listed`, nil},
		{"too many", ep + "endpoints = [" + strings.Join(many, ",\n  ") + "]\n",
			fmt.Sprintf("%d: tunnel.endpoints: too many endpoints: %d, the limit is %d", 9+MaxEndpoints, MaxEndpoints+1, MaxEndpoints), nil},
		{"not a list", ep + "endpoints = \"b.example.org:51820\"\n", "9: tunnel.endpoints: must be an array, not a string", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, ep, tc.new, 1)
			p, err := Parse("p.toml", []byte(src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				if got := p.Tunnel.EndpointList(); !reflect.DeepEqual(got, tc.list) {
					t.Errorf("EndpointList() = %q, want %q", got, tc.list)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			for _, e := range errorList(t, err) {
				if strings.HasPrefix(e.Error(), "p.toml:") && strings.TrimPrefix(e.Error(), "p.toml:") == tc.want {
					return
				}
			}
			t.Errorf("want p.toml:%s, got:\n%v", tc.want, err)
		})
	}
}

// EndpointList keeps the order and drops repeats (a profile written by
// hand before validation, or an empty endpoint).
func TestEndpointList(t *testing.T) {
	tn := Tunnel{Endpoint: "a:1", Endpoints: []string{"b:1", "a:1", "", "c:1", "b:1"}}
	if got, want := tn.EndpointList(), []string{"a:1", "b:1", "c:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("EndpointList() = %q, want %q", got, want)
	}
	if got := (Tunnel{}).EndpointList(); got != nil {
		t.Errorf("no endpoint: %q", got)
	}
}
