package diag

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

func TestAnonymise(t *testing.T) {
	id := identity{Hostname: "pc-jdupont.corp.example.net", Login: "jdupont", FullName: "Jeanne Dupont", Home: "/home/jeanne.d"}
	tests := []struct {
		in                     string
		none, standard, strict string
	}{
		{"from 198.51.100.7:51820", "", "from [IP-PUB-1]:51820", "from [IP-PUB-1]:51820"},
		{"lan 192.168.1.20 cgnat 100.64.3.4 ll 169.254.1.1", "", "", "lan [IP-PRIV-1] cgnat [IP-PRIV-2] ll [IP-PRIV-3]"},
		{"ula fd00::2 ll fe80::1%eth0 eui fe80::5054:ff:fe12:3456", "", "ula fd00::2 ll fe80::1%eth0 eui [IP6-PRIV-1]", "ula [IP6-PRIV-1] ll [IP6-PRIV-2]%eth0 eui [IP6-PRIV-3]"},
		{"v6 [2606:4700::1111]:443 mapped ::ffff:198.51.100.7", "", "v6 [[IP6-PUB-1]]:443 mapped [IP-PUB-1]", "v6 [[IP6-PUB-1]]:443 mapped [IP-PUB-1]"},
		{"kept 127.0.0.1 ::1 0.0.0.0 :: 255.255.255.0 224.0.0.1 ff02::1", "", "", ""},
		{"not addresses: 1.2.3.4.5 v1.2.3.4 10:30:00 2026-11-05T14:30:00Z 1.2.3", "", "", ""},
		{"mac 52:54:00:12:34:56 and 52-54-00-12-34-56, zero 00:00:00:00:00:00", "", "mac [MAC-1] and [MAC-1], zero 00:00:00:00:00:00", "mac [MAC-1] and [MAC-1], zero 00:00:00:00:00:00"},
		{"hosts paie.intra.example.org, PAIE.intra.example.org. and srv.corp", "", "hosts [HOST-2], [HOST-2]. and [HOST-3]", "hosts [HOST-2], [HOST-2]. and [HOST-3]"},
		{"mail soutien@example.org via https://user@relais.example.org/x", "", "mail soutien@[HOST-2] via https://user@[HOST-3]/x", "mail soutien@[HOST-2] via https://user@[HOST-3]/x"},
		{"kept: localhost localhost.localdomain summary.html p.toml [[apps.checks]] fmt.Println Config.mtu", "", "", ""},
		{"on pc-jdupont.corp.example.net (pc-jdupont) as jdupont, Jeanne Dupont, home /home/jeanne.d/x", "",
			"on [HOST-1] ([HOST-1]) as [USER-1], [USER-1], home /home/[USER-1]/x", "on [HOST-1] ([HOST-1]) as [USER-1], [USER-1], home /home/[USER-1]/x"},
		{"words that contain a name stay: jdupontx Dupontel", "", "", ""},
		{"device key AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/ABCDE= end", "", "device key [DEVICE-KEY] end", "device key [DEVICE-KEY] end"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			level Level
			want  string
		}{{LevelNone, tt.none}, {LevelStandard, tt.standard}, {LevelStrict, tt.strict}} {
			if c.want == "" {
				c.want = tt.in
			}
			a := newAnonymiser(c.level, id, "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/ABCDE=")
			if got := a.text(tt.in); got != c.want {
				t.Errorf("%s: %q\n got %q\nwant %q", c.level, tt.in, got, c.want)
			}
		}
	}
}

// A login that is also a word of our JSON (user, name) does not break the
// files: keys are ours, never identifying.
func TestAnonymiseKeepsJSONKeys(t *testing.T) {
	a := newAnonymiser(LevelStandard, identity{Login: "user", Hostname: "name"}, "")
	got := a.text(`{"user": {"login": "user", "name": "name"}, "home": "/home/user"}`)
	if want := `{"user": {"login": "[USER-1]", "name": "[HOST-1]"}, "home": "/home/[USER-1]"}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A host under an organisation's own top-level domain is known from the
// bundle's URLs.
func TestAnonymiseLearnsDomains(t *testing.T) {
	a := newAnonymiser(LevelStandard, identity{}, "")
	if got := a.text("ad.ministere.qc"); got != "ad.ministere.qc" {
		t.Fatalf("unknown TLD replaced: %s", got)
	}
	a = newAnonymiser(LevelStandard, identity{}, "")
	a.learn(`profile_url = "https://profils.ministere.qc/p.toml"`)
	if got := a.text("ad.ministere.qc and https://profils.ministere.qc/p.toml"); got != "[HOST-1] and https://[HOST-2]/p.toml" {
		t.Errorf("got %s", got)
	}
}

var reMACForm = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// FuzzAnonymise: an address or a MAC planted between spaces in any text
// never survives at strict (loopback and the like excepted), and the
// anonymiser never panics.
func FuzzAnonymise(f *testing.F) {
	f.Add("endpoint ", "198.51.100.7", uint(9))
	f.Add("[[apps.checks]] x", "10.0.0.1", uint(0))
	f.Add("fe80::1 ", "2001:db8::1", uint(3))
	f.Add("", "52:54:00:12:34:56", uint(0))
	f.Fuzz(func(t *testing.T, text, planted string, at uint) {
		a := newAnonymiser(LevelStrict, identity{Hostname: "pc-x", Login: "jdupont"}, "")
		_ = a.text(text)
		addr, err := netip.ParseAddr(planted)
		isMAC := reMACForm.MatchString(planted) && planted != "00:00:00:00:00:00" && planted != "ff:ff:ff:ff:ff:ff"
		if !isMAC && (err != nil || addr.Zone() != "" || a.addr(addr) == "") {
			return
		}
		i := int(at % uint(len(text)+1))
		out := a.text(text[:i] + " " + planted + " " + text[i:])
		if strings.Contains(out, " "+planted+" ") {
			t.Fatalf("%q survives in %q", planted, out)
		}
	})
}
