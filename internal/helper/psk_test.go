package helper

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"relais/internal/tunnel"
)

// A preshared key from IT's .conf crosses the socket with the request and
// reaches the helper's device configuration; printed by mistake, the
// request does not show it.
func TestUpRequestPresharedKey(t *testing.T) {
	psk := tunnel.Key{0x5A, 0x5B, 0x5C}
	f := startServer(t, nil)
	c := dial(t, f.socket)
	req := f.upRequest(1, "192.0.2.1:51820")
	req.PresharedKey = psk
	if s := req.String(); strings.Contains(s, psk.String()) || strings.Contains(s, hex.EncodeToString(psk[:])) {
		t.Errorf("String shows the preshared key: %s", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tun, err := c.Up(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	_, cfg, _, _ := f.backend.state()
	if cfg.Peer.PresharedKey != psk {
		t.Fatalf("the helper's tunnel has preshared key %x, want %x", cfg.Peer.PresharedKey, psk)
	}
	uapi := tunnel.UAPIConfig(cfg, netip.MustParseAddrPort("192.0.2.1:51820"))
	if !strings.Contains(uapi, "preshared_key="+hex.EncodeToString(psk[:])+"\n") {
		t.Errorf("the device configuration has no preshared_key line:\n%s", uapi)
	}

	// Without one: no field on the wire, no line for the device.
	req.PresharedKey = tunnel.Key{}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "preshared_key") {
		t.Errorf("a request without a preshared key sends the field: %s", b)
	}
	cfg.Peer.PresharedKey = tunnel.Key{}
	if uapi := tunnel.UAPIConfig(cfg, netip.MustParseAddrPort("192.0.2.1:51820")); strings.Contains(uapi, "preshared_key") {
		t.Errorf("a preshared_key line without a preshared key:\n%s", uapi)
	}
	var back UpRequest
	if err := json.Unmarshal([]byte(`{"private_key":"`+tunnel.Key{1}.String()+`","preshared_key":"nope"}`), &back); err == nil {
		t.Error("a bad preshared_key on the wire was accepted")
	}
}
