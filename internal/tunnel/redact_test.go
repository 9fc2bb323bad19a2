package tunnel

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// Neither the private key nor the preshared key reaches the log, in either
// form wireguard-go may write it; without a preshared key nothing else is
// touched.
func TestWGLoggerRedactsBothKeys(t *testing.T) {
	var priv, psk Key
	for i := range priv {
		priv[i], psk[i] = byte(i+1), byte(200-i)
	}
	var lines []string
	logf := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	l := wgLogger(logf, priv, psk)
	l.Errorf("bad %s %s %s %s", hex.EncodeToString(priv[:]), priv.String(), hex.EncodeToString(psk[:]), psk.String())
	for _, secret := range []string{hex.EncodeToString(priv[:]), priv.String(), hex.EncodeToString(psk[:]), psk.String()} {
		if strings.Contains(lines[0], secret) {
			t.Errorf("log line carries a key: %s", lines[0])
		}
	}
	if got := strings.Count(lines[0], "(key)"); got != 4 {
		t.Errorf("want 4 redactions, got %d: %s", got, lines[0])
	}
	zero := wgLogger(logf, priv, Key{})
	zero.Errorf("peer %s", strings.Repeat("0", 64))
	if !strings.Contains(lines[1], strings.Repeat("0", 64)) {
		t.Errorf("no preshared key, yet something was redacted: %s", lines[1])
	}
}
