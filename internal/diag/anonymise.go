package diag

import (
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"relais/internal/redact"
)

// identity is what names this machine and its user, found by the
// collectors (or, when one failed, by cheaper means) and in the Input.
type identity struct {
	Hostname string
	Login    string
	FullName string
	Home     string   // the home directory: its last component often is the login, or the person's name
	Others   []string // Input.Identities
}

// Stand-in kinds: each has its own numbering, [KIND-n].
const (
	kindIPPublic   = "IP-PUB"
	kindIP6Public  = "IP6-PUB"
	kindIPPrivate  = "IP-PRIV"
	kindIP6Private = "IP6-PRIV"
	kindHost       = "HOST"
	kindMAC        = "MAC"
	kindUser       = "USER"
)

// deviceKeyMark replaces the device's WireGuard public key.
const deviceKeyMark = "[DEVICE-KEY]"

// anonymiser replaces what identifies the machine and the person with
// stand-ins, the same value getting the same stand-in in every file of one
// bundle (one anonymiser per Export). The table is never written anywhere.
//
// At standard: public IPv4 and IPv6 addresses ([IP-PUB-n], [IP6-PUB-n]),
// IPv6 addresses made from a MAC address (EUI-64, even link-local), MAC
// addresses ([MAC-n]), every dotted host or domain name but localhost
// ([HOST-n]; a name counts as one under a real top-level domain, an
// internal one such as .intra, .corp or .local, or one seen in a URL of
// the bundle, so that file names and code are kept), the machine's name
// ([HOST-1]), the user's login, full name and home directory ([USER-1]),
// the names in Input.People, and the device's public key ([DEVICE-KEY]).
// At strict, also private, CGNAT, ULA and link-local addresses
// ([IP-PRIV-n], [IP6-PRIV-n]). Loopback, unspecified, multicast and
// reserved addresses (netmasks) identify nobody and stay.
type anonymiser struct {
	level  Level
	tokens map[string]map[string]string // kind → normalised value → stand-in
	next   map[string]int               // kind → last number given
	words  *regexp.Regexp               // the identity words, longest first; nil: none
	wordOf map[string][2]string         // lower-case word → kind and key of its stand-in
	device []string                     // the device public key in its forms
	tlds   map[string]bool              // last labels seen in URLs and e-mail addresses of this bundle (see learn)
}

func newAnonymiser(level Level, id identity, deviceKey string) *anonymiser {
	a := &anonymiser{level: level, tokens: map[string]map[string]string{}, next: map[string]int{}, wordOf: map[string][2]string{}, tlds: map[string]bool{}}
	if level == LevelNone {
		return a
	}
	if deviceKey != "" {
		a.device = []string{deviceKey, url.QueryEscape(deviceKey), url.PathEscape(deviceKey)}
	}
	addWord := func(w, kind, key string) {
		w = strings.TrimSpace(w)
		if utf8.RuneCountInString(w) < 2 || strings.EqualFold(w, "localhost") {
			return
		}
		a.wordOf[strings.ToLower(w)] = [2]string{kind, key}
	}
	// The machine is always [HOST-1] and its user [USER-1]: seeded first.
	if h := strings.ToLower(strings.TrimSuffix(id.Hostname, ".")); h != "" && h != "localhost" {
		a.token(kindHost, h)
		addWord(h, kindHost, h)
		if first, _, ok := strings.Cut(h, "."); ok {
			addWord(first, kindHost, h)
			a.tlds[h[strings.LastIndexByte(h, '.')+1:]] = true
		}
	}
	userKey := strings.ToLower(id.Login)
	if userKey == "" {
		userKey = strings.ToLower(id.FullName)
	}
	if userKey != "" {
		a.token(kindUser, userKey)
		addWord(id.Login, kindUser, userKey)
		addWord(id.FullName, kindUser, userKey)
		for _, part := range strings.FieldsFunc(id.FullName, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '\'' }) {
			if utf8.RuneCountInString(part) >= 3 {
				addWord(part, kindUser, userKey)
			}
		}
		if base := filepath.Base(filepath.Clean(id.Home)); id.Home != "" && base != "." && base != string(filepath.Separator) && utf8.RuneCountInString(base) >= 3 {
			addWord(base, kindUser, userKey)
		}
	}
	for _, o := range id.Others {
		if o = strings.TrimSpace(o); o != "" {
			key := strings.ToLower(o)
			a.token(kindUser, key)
			addWord(o, kindUser, key)
		}
	}
	if len(a.wordOf) > 0 {
		words := make([]string, 0, len(a.wordOf))
		for w := range a.wordOf {
			words = append(words, w)
		}
		sort.Slice(words, func(i, j int) bool {
			if len(words[i]) != len(words[j]) {
				return len(words[i]) > len(words[j])
			}
			return words[i] < words[j]
		})
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		a.words = regexp.MustCompile(`(?i)(?:` + strings.Join(words, "|") + `)`)
	}
	return a
}

// token is the stand-in of value (normalised) of kind, made on first use.
func (a *anonymiser) token(kind, value string) string {
	t := a.tokens[kind]
	if t == nil {
		t = map[string]string{}
		a.tokens[kind] = t
	}
	if s, ok := t[value]; ok {
		return s
	}
	a.next[kind]++
	s := fmt.Sprintf("[%s-%d]", kind, a.next[kind])
	t[value] = s
	return s
}

// text returns s with what identifies the machine and the person replaced,
// as the level asks.
func (a *anonymiser) text(s string) string {
	if a.level == LevelNone {
		return s
	}
	return redact.MapLines(a.whole(s), a.line)
}

// whole replaces the device key, in any text.
func (a *anonymiser) whole(s string) string {
	for _, k := range a.device {
		if k != "" {
			s = strings.ReplaceAll(s, k, deviceKeyMark)
		}
	}
	return s
}

// line anonymises one line; each pattern runs only on a line that has
// what it needs (see redact.Redactor.Line).
func (a *anonymiser) line(s string) string {
	if a.level == LevelNone {
		return s
	}
	colons := strings.Count(s, ":")
	if colons >= 2 {
		s = scan(s, reIPv6, a.ipv6)
	}
	if colons >= 5 || strings.Count(s, "-") >= 5 {
		s = scan(s, reMAC, a.mac)
	}
	dots := strings.Count(s, ".")
	if dots >= 3 {
		s = scan(s, reIPv4, a.ipv4)
	}
	if dots >= 1 && dotLetter(s) {
		s = scan(s, reHostname, a.hostname)
	}
	if a.words != nil && a.hasWord(s) {
		s = scan(s, a.words, a.word)
	}
	return s
}

// dotLetter reports whether s has a dot before a letter, as every host
// name has.
func dotLetter(s string) bool {
	for i := strings.IndexByte(s, '.'); i >= 0 && i+1 < len(s); {
		if c := s[i+1] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
		j := strings.IndexByte(s[i+1:], '.')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// hasWord reports whether s may hold an identity word (a quick test
// before the expression).
func (a *anonymiser) hasWord(s string) bool {
	lower := strings.ToLower(s)
	for w := range a.wordOf {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

var (
	// Candidates only: each is parsed and its surroundings checked.
	reIPv6     = regexp.MustCompile(`(?i)(?:[0-9a-f]{1,4}|:):[0-9a-f:]*(?:\d+\.\d+\.\d+\.\d+|[0-9a-f]|:)`)
	reIPv4     = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`)
	reMAC      = regexp.MustCompile(`(?i)[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}`)
	reHostname = regexp.MustCompile(`(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}`)
)

// scan replaces each match of re for which repl returns a stand-in;
// repl gets the text and the match's bounds, and returns "" to keep it.
func scan(s string, re *regexp.Regexp, repl func(s string, i, j int) string) string {
	locs := re.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		out := repl(s, loc[0], loc[1])
		if out == "" {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(out)
		last = loc[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// before and after are the characters around s[i:j] (0 at an end).
func before(s string, i int) byte {
	if i == 0 {
		return 0
	}
	return s[i-1]
}

func after(s string, j int) byte {
	if j >= len(s) {
		return 0
	}
	return s[j]
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (a *anonymiser) ipv6(s string, i, j int) string {
	if c := before(s, i); isAlnum(c) || c == ':' || c == '.' {
		return ""
	}
	if c := after(s, j); isAlnum(c) || c == ':' || c == '.' && isDigit(after(s, j+1)) {
		return ""
	}
	m := s[i:j]
	if strings.Count(m, ":") < 2 {
		return ""
	}
	addr, err := netip.ParseAddr(m)
	if err != nil {
		return ""
	}
	return a.addr(addr)
}

func (a *anonymiser) ipv4(s string, i, j int) string {
	if c := before(s, i); isAlnum(c) || c == '.' {
		return ""
	}
	if c := after(s, j); isAlnum(c) || c == '.' && isDigit(after(s, j+1)) {
		return ""
	}
	addr, err := netip.ParseAddr(s[i:j])
	if err != nil {
		return ""
	}
	return a.addr(addr)
}

var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	reserved4   = netip.MustParsePrefix("240.0.0.0/4") // class E, and every netmask written as an address
)

// addr is the stand-in of an address, or "" to keep it: loopback,
// unspecified, multicast and reserved addresses never identify anyone;
// private, CGNAT, ULA and link-local ones only at strict (but an IPv6
// address built from a MAC address, EUI-64, at standard too); every other
// one is public.
func (a *anonymiser) addr(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	switch {
	case ip.IsLoopback(), ip.IsUnspecified(), ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return ""
	case ip.Is4() && (thisNetwork.Contains(ip) || reserved4.Contains(ip)):
		return ""
	}
	internal := ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.Is4() && cgnat.Contains(ip)
	if internal && a.level != LevelStrict && !eui64(ip) {
		return ""
	}
	kind := kindIPPublic
	switch {
	case internal && ip.Is4():
		kind = kindIPPrivate
	case internal:
		kind = kindIP6Private
	case ip.Is6():
		kind = kindIP6Public
	}
	return a.token(kind, ip.String())
}

// eui64 reports whether an IPv6 address's interface identifier is made
// from a MAC address (ff:fe in its middle), which identifies the machine
// wherever the address is used.
func eui64(ip netip.Addr) bool {
	if !ip.Is6() {
		return false
	}
	b := ip.As16()
	return b[11] == 0xff && b[12] == 0xfe
}

func (a *anonymiser) mac(s string, i, j int) string {
	if c := before(s, i); isAlnum(c) || c == ':' || c == '-' {
		return ""
	}
	if c := after(s, j); isAlnum(c) || c == ':' || c == '-' {
		return ""
	}
	m := strings.ToLower(strings.ReplaceAll(s[i:j], "-", ":"))
	if m == "00:00:00:00:00:00" || m == "ff:ff:ff:ff:ff:ff" {
		return ""
	}
	return a.token(kindMAC, m)
}

// fileExtensions end names that are files, not hosts (summary.html,
// profile.zip): a dotted name ending with one is kept even where it is also
// a top-level domain.
var fileExtensions = map[string]bool{
	"html": true, "htm": true, "json": true, "toml": true, "txt": true, "log": true, "zip": true, "age": true,
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "pdf": true, "md": true, "go": true,
	"sh": true, "exe": true, "msi": true, "deb": true, "rpm": true, "conf": true, "cfg": true, "ini": true,
	"yaml": true, "yml": true, "db": true, "sqlite": true, "sql": true, "js": true, "css": true, "tar": true,
	"gz": true, "xz": true, "tgz": true, "pem": true, "crt": true, "key": true, "pub": true, "sig": true,
	"minisig": true, "service": true, "desktop": true, "socket": true, "lock": true, "tmp": true, "bak": true,
	"csv": true, "xml": true, "sock": true, "pid": true, "wal": true, "shm": true, "mov": true,
}

// internalTLDs end names used inside organisations (RFC 6762, RFC 8375,
// RFC 2606, habits such as .corp and .intra, the demo's zone).
var internalTLDs = map[string]bool{
	"intra": true, "internal": true, "local": true, "lan": true, "corp": true, "home": true, "localdomain": true,
	"private": true, "priv": true, "test": true, "example": true, "invalid": true, "domain": true,
}

var reURLHost = regexp.MustCompile(`(?i)(?:://|@)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.([a-z][a-z0-9-]*)`)

// learn notes the last label of every host name in a URL or an e-mail
// address of s, so that a name under an organisation's own top-level
// domain (ministere.qc) is known as a host wherever it appears in the
// bundle. Call it on every file before text.
func (a *anonymiser) learn(s string) {
	if a.level == LevelNone || !strings.Contains(s, "://") && !strings.Contains(s, "@") {
		return
	}
	redact.MapLines(s, func(line string) string {
		if strings.Contains(line, "://") || strings.Contains(line, "@") {
			for _, m := range reURLHost.FindAllStringSubmatch(line, -1) {
				a.tlds[strings.ToLower(m[1])] = true
			}
		}
		return line
	})
}

// hostname replaces a dotted host or domain name: one under a real
// top-level domain, an internal one, or one learnt from this bundle's
// URLs. localhost (and names under it), file names, code (apps.checks,
// fmt.Println) and TOML table names ([apps.checks]) are kept.
func (a *anonymiser) hostname(s string, i, j int) string {
	b := before(s, i)
	if isAlnum(b) || b == '.' || b == '-' || b == '_' {
		return ""
	}
	if c := after(s, j); isAlnum(c) || c == '-' || c == '_' || c == '.' && isAlnum(after(s, j+1)) || b == '[' && c == ']' {
		return ""
	}
	name := strings.ToLower(s[i:j])
	tld := name[strings.LastIndexByte(name, '.')+1:]
	if fileExtensions[tld] || tld == "localhost" || strings.HasPrefix(name, "localhost.") {
		return ""
	}
	if !internalTLDs[tld] && !a.tlds[tld] {
		if _, icann := publicsuffix.PublicSuffix(name); !icann {
			return ""
		}
	}
	return a.token(kindHost, name)
}

// word replaces an identity word (the host name, the login, the person's
// name) standing alone, not inside another word nor inside a stand-in.
func (a *anonymiser) word(s string, i, j int) string {
	if r, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(s[j:]); j < len(s) && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
		return ""
	}
	if insideMark(s, i, j) || after(s, j) == '"' && after(s, j+1) == ':' {
		return "" // a stand-in, or a JSON key (ours, never identifying: a login "user" must not break system.json)
	}
	k, ok := a.wordOf[strings.ToLower(s[i:j])]
	if !ok {
		return ""
	}
	return a.token(k[0], k[1])
}

// insideMark reports whether s[i:j] is part of a stand-in or of
// [REDACTED]: [A-Z0-9-]* on both sides up to the brackets.
func insideMark(s string, i, j int) bool {
	l := i
	for l > 0 && isMarkByte(s[l-1]) {
		l--
	}
	r := j
	for r < len(s) && isMarkByte(s[r]) {
		r++
	}
	return l > 0 && s[l-1] == '[' && r < len(s) && s[r] == ']'
}

func isMarkByte(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' }
