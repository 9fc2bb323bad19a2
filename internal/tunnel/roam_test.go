package tunnel

import (
	"slices"
	"testing"
	"time"

	"relais/internal/profile"
)

// The roam loop's judgement of a silent gateway.
func TestRoamStep(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const stale = 180 * time.Second
	var never time.Time
	cases := []struct {
		name                  string
		now, hs, setAt, asked time.Time
		want                  roamAction
	}{
		{"just set, no answer yet", at(10), never, at(0), never, roamStay},
		{"set 180 s ago, no answer", at(180), never, at(0), never, roamStay},
		{"set 181 s ago, never an answer", at(181), never, at(0), never, roamNext},
		{"answered before the endpoint was set, not since", at(300), at(50), at(100), never, roamNext},
		{"recent answer", at(400), at(300), at(0), never, roamStay},
		{"answer 181 s old: ask first", at(481), at(300), at(0), never, roamAsk},
		{"asked before that answer: ask again", at(481), at(300), at(0), at(200), roamAsk},
		{"asked, waiting", at(490), at(300), at(0), at(481), roamStay},
		{"asked, no answer within 15 s", at(496), at(300), at(0), at(481), roamNext},
	}
	for _, tc := range cases {
		if got := roamStep(tc.now, tc.hs, tc.setAt, tc.asked, stale); got != tc.want {
			t.Errorf("%s: roamStep = %d, want %d", tc.name, got, tc.want)
		}
	}
	// A short threshold (tests) bounds the wait for the answer asked too.
	if got := roamStep(at(13), at(5), at(0), at(11), 3*time.Second); got != roamStay {
		t.Errorf("short threshold, just asked: %d", got)
	}
	if got := roamStep(at(15), at(5), at(0), at(11), 3*time.Second); got != roamNext {
		t.Errorf("short threshold, asked 4 s ago: %d", got)
	}
}

func TestEndpointListAndIsName(t *testing.T) {
	p := Peer{Endpoint: "a.example.org:1", Endpoints: []string{"192.0.2.7:1", "a.example.org:1", "b.example.org:1"}}
	got := p.endpointList()
	if len(got) != 3 || got[0] != "a.example.org:1" || got[1] != "192.0.2.7:1" || got[2] != "b.example.org:1" {
		t.Errorf("endpointList = %q", got)
	}
	for ep, want := range map[string]bool{"a.example.org:1": true, "192.0.2.7:1": false, "[2001:db8::1]:1": false, "nope": false} {
		if isName(ep) != want {
			t.Errorf("isName(%q) = %v", ep, !want)
		}
	}
}

// The profile's endpoint and standby endpoints reach the peer in order,
// each once, whichever of the two keys the profile uses.
func TestFromProfileEndpoints(t *testing.T) {
	base := profile.Tunnel{ServerPublicKey: "b49b/tJYp/VejjTju4hQ/J1rRbS+yJBkPe64Z6EdAF0=", AllowedIPs: []string{"10.20.0.0/16"}, Address: []string{"10.20.0.5/32"}}
	for _, tc := range []struct {
		endpoint  string
		endpoints []string
		want      []string
	}{
		{"a.example.org:51820", nil, []string{"a.example.org:51820"}},
		{"", []string{"b.example.org:51820", "c.example.org:51820"}, []string{"b.example.org:51820", "c.example.org:51820"}},
		{"a.example.org:51820", []string{"a.example.org:51820", "b.example.org:51820"}, []string{"a.example.org:51820", "b.example.org:51820"}},
	} {
		tn := base
		tn.Endpoint, tn.Endpoints = tc.endpoint, tc.endpoints
		c, err := FromProfile(tn, Key{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Peer.endpointList(); !slices.Equal(got, tc.want) || c.Peer.Endpoint != tc.want[0] {
			t.Errorf("%q + %q: endpoint %q, list %q, want %q", tc.endpoint, tc.endpoints, c.Peer.Endpoint, got, tc.want)
		}
	}
}
