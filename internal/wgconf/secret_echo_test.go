package wgconf

import (
	"fmt"
	"strings"
	"testing"
)

// A private key pasted into the wrong field is refused without being
// repeated: the error names the line and the key, never the value (it
// would reach a terminal, a log, a screenshot sent to the helpdesk).
func TestErrorsNeverRepeatTheValue(t *testing.T) {
	const secret = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
	iface := []string{"Address", "DNS", "MTU", "ListenPort", "FwMark", "Table", "SaveConfig"}
	peer := []string{"Endpoint", "AllowedIPs", "PersistentKeepalive", "PublicKey", "PresharedKey"}
	base := func() (string, string) {
		return "[Interface]\nPrivateKey = " + strings.Repeat("A", 43) + "=\nAddress = 10.0.0.2/32\n",
			"[Peer]\nPublicKey = " + strings.Repeat("B", 43) + "=\nAllowedIPs = 10.0.0.0/24\nEndpoint = vpn.example.test:51820\n"
	}
	cases := map[string]string{"unknown section": "[" + secret + "]\n"}
	for _, k := range iface {
		i, p := base()
		cases[k] = i + k + " = " + secret + " x\n" + p
	}
	for _, k := range peer {
		i, p := base()
		cases[k] = i + p + k + " = " + secret + "!\n"
	}
	for name, conf := range cases {
		_, err := Parse("x.conf", []byte(conf))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if msg := fmt.Sprint(err); strings.Contains(msg, secret) || strings.Contains(msg, secret[:20]) {
			t.Errorf("%s: the error repeats the value: %s", name, msg)
		}
	}
}
