package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"html/template"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mark replaces every secret Text and a Redactor remove.
const Mark = "[REDACTED]"

// MinSecretLen is the shortest known secret that is scrubbed by exact
// match: a shorter one would erase common words from the text
// (the patterns still catch it after a key-ish name).
const MinSecretLen = 4

// A Redactor removes secrets from text: the known secrets it was made with
// and what its patterns find. It counts what it removed (diag's bundle
// manifest reports the count) and never records what it was. It is not
// safe for concurrent use.
type Redactor struct {
	secrets []string // every known secret and its escaped forms, longest first
	count   int
}

// New returns a Redactor that knows secrets as they are and in every form they may take in
// a file: URL-encoded (either case), JSON- and HTML-escaped, and a 32-byte
// base64 key also in hex (WireGuard's UAPI) and in URL-safe base64.
func New(secrets ...string) *Redactor {
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) >= MinSecretLen {
			seen[v] = true
		}
	}
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s), html.EscapeString(s), template.HTMLEscapeString(s), jsonEscape(s, true), jsonEscape(s, false)}
		if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == 32 {
			forms = append(forms, hex.EncodeToString(k), strings.ToUpper(hex.EncodeToString(k)), base64.URLEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k))
		}
		for _, f := range forms {
			add(f)
			add(lowerPercent(f))
		}
	}
	r := &Redactor{}
	for v := range seen {
		r.secrets = append(r.secrets, v)
	}
	sort.Slice(r.secrets, func(i, j int) bool {
		if len(r.secrets[i]) != len(r.secrets[j]) {
			return len(r.secrets[i]) > len(r.secrets[j])
		}
		return r.secrets[i] < r.secrets[j]
	})
	return r
}

// jsonEscape is s as encoding/json writes it inside a string.
func jsonEscape(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// lowerPercent writes the hex digits of %XX escapes in lower case, as some
// encoders do.
func lowerPercent(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// The patterns, each with what it keeps. They run after the exact
// secrets, in this order.
var (
	// PEM private keys (any kind), the whole block.
	rePEMKey = regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----`)
	// age identities: native and plugin secret keys.
	reAgeKey = regexp.MustCompile(`(?i)AGE-(?:PLUGIN-[A-Z0-9-]+-|SECRET-KEY-)1[0-9A-Z]{20,}`)
	// minisign secret keys: base64 of "Ed" + KDF ("\0\0" or "Sc") + "B2"…,
	// 212 characters (a public key is 56, a signature 100).
	reMinisignKey = regexp.MustCompile(`RW(?:QAAE|RTY0)Iy[A-Za-z0-9+/]{150,}={0,2}`)
	// Credentials in URLs: scheme://user:pass@host keeps the scheme and
	// the host.
	reURLCreds = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]{1,30}://)([^\s/?#@"'<>\[\]]+)@`)
	// HTTP headers that carry credentials: the value up to the end of the
	// line (or of the quoted string).
	reHeader = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|set-cookie|cookie|x-api-key|x-auth-token|x-amz-security-token)(["']?[ \t]*[:=][ \t]*["']?)([^\r\n"']+)`)
	// Bearer tokens anywhere.
	reBearer = regexp.MustCompile(`(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/-]+=*)`)
	// A WireGuard key (32 bytes in base64) after a key-ish name, however
	// they are separated (PrivateKey = …, "private key: …", psk …).
	reKeyishB64 = regexp.MustCompile(`(?i)([a-z_-]*(?:key|psk|secret))([\s"':=]{1,4})([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)`)
	// name = value, name: value, "name": "value", ?name=value: the value
	// after a secret-ish name (token, api_key, password, sig, key…).
	reAssign = regexp.MustCompile(`(?i)((?:[a-z0-9]+[_.-])*(?:access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|client[_-]?secret|api[_-]?key|apikey|private[_-]?key|privatekey|preshared[_-]?key|presharedkey|passphrase|password|passwd|secret|token|pwd|psk|sig|key|credentials?))\b(["']?[ \t]*[:=][ \t]*)("[^"\r\n]*"|'[^'\r\n]*'|[^\s&;,"'<>\])}]+)`)
)

// strongNames are names secret wherever they appear in a word (dbpassword,
// myToken); the weak ones (key, sig, pwd, psk, auth) must start a word.
var strongNames = []string{"token", "secret", "password", "passwd", "passphrase", "apikey", "api_key", "api-key", "privatekey", "private_key", "presharedkey", "preshared_key", "credential"}

// Text returns s without any secret, counting each one removed.
func (r *Redactor) Text(s string) string {
	return MapLines(r.Whole(s), r.Line)
}

// Count is how many secrets r has removed so far.
func (r *Redactor) Count() int { return r.count }

// Whole removes what may span lines: the known secrets (strings.Count
// finds them fast in any text) and PEM blocks.
func (r *Redactor) Whole(s string) string {
	for _, v := range r.secrets {
		if n := strings.Count(s, v); n > 0 {
			r.count += n
			s = strings.ReplaceAll(s, v, Mark)
		}
	}
	if strings.Contains(s, "PRIVATE KEY-----") {
		s = r.replaceAll(s, rePEMKey, func(m []string) string { return Mark })
	}
	return s
}

// Line removes the secrets the patterns find in one line. Each pattern
// runs only on a line that holds what it needs (a bundle is megabytes of
// lines that hold none, and a regular expression on a short line is much
// faster than on a whole file).
func (r *Redactor) Line(s string) string {
	lower := asciiLower(s)
	if strings.Contains(lower, "age-") {
		s = r.replaceAll(s, reAgeKey, func(m []string) string { return Mark })
	}
	if strings.Contains(s, "RWQAAEIy") || strings.Contains(s, "RWRTY0Iy") {
		s = r.replaceAll(s, reMinisignKey, func(m []string) string { return Mark })
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		s = r.replaceAll(s, reURLCreds, func(m []string) string {
			if m[2] == "REDACTED" {
				return ""
			}
			return m[1] + "REDACTED@"
		})
	}
	if containsAny(lower, "authorization", "cookie", "x-api-key", "x-auth-token", "x-amz-security-token") {
		s = r.replaceAll(s, reHeader, func(m []string) string {
			if strings.TrimSpace(m[3]) == Mark {
				return ""
			}
			return m[1] + m[2] + Mark
		})
	}
	if strings.Contains(lower, "bearer") {
		s = r.replaceAll(s, reBearer, func(m []string) string { return m[1] + m[2] + Mark })
	}
	if !strings.ContainsAny(s, "=:") {
		return s
	}
	if strings.Contains(s, "=") && containsAny(lower, "key", "psk", "secret") {
		s = r.replaceAllAt(s, reKeyishB64, func(s string, loc []int) string {
			if name := strings.ToLower(s[loc[2]:loc[3]]); strings.Contains(name, "pub") {
				return ""
			}
			return s[loc[2]:loc[5]] + Mark
		})
	}
	if containsAny(lower, "token", "key", "secret", "pass", "pwd", "psk", "sig", "credential") {
		s = r.replaceAllAt(s, reAssign, func(s string, loc []int) string {
			name, value := strings.ToLower(s[loc[2]:loc[3]]), s[loc[6]:loc[7]]
			if strings.Contains(name, "pub") || !wordStart(s, loc[2], name) || strings.HasPrefix(s[loc[6]:], Mark) {
				return ""
			}
			quote := ""
			if value[0] == '"' || value[0] == '\'' {
				quote, value = value[:1], value[1:len(value)-1]
			}
			if value == "" || value == Mark || value == "REDACTED" || value == "null" {
				return ""
			}
			if quote == "" && strings.Contains(s[loc[4]:loc[5]], ":") && (name == "key" || name == "sig") && !secretLooking(value) {
				return "" // "key: minisign", a word after a label, not a secret
			}
			return s[loc[2]:loc[5]] + quote + Mark + quote
		})
	}
	return s
}

// MapLines returns s with every line replaced by f(line). f sees each
// line without its "\n" (a "\r" before it stays in the line); the
// newlines are kept as they were, and a last line without one stays
// without one. When f returns every line unchanged, MapLines returns s
// itself and allocates nothing, so it is cheap on megabytes of text that
// needs no change. Redactor.Text and diag's anonymiser use it.
func MapLines(s string, f func(string) string) string {
	var b strings.Builder
	changed := false
	rest := s
	start := 0
	for len(rest) > 0 {
		i := strings.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line = rest[:i]
		}
		out := f(line)
		if out != line && !changed {
			changed = true
			b.Grow(len(s) + len(s)/8)
			b.WriteString(s[:start])
		}
		if changed {
			b.WriteString(out)
			if i >= 0 {
				b.WriteByte('\n')
			}
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		start += i + 1
	}
	if !changed {
		return s
	}
	return b.String()
}

// asciiLower is s with ASCII letters in lower case, byte for byte (so
// offsets into it are offsets into s).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// secretLooking reports whether a value after a generic name (key: …)
// looks like a secret rather than a word: long, or with digits or symbols.
func secretLooking(v string) bool {
	return len(v) >= 16 || strings.ContainsAny(v, "0123456789+/=_-.~%")
}

// wordStart reports whether the secret-ish name found at i may be taken as
// one: a strong name anywhere, a weak one only at the start of a word
// (not the key of monkey or of PublicKey).
func wordStart(s string, i int, name string) bool {
	for _, n := range strongNames {
		if strings.Contains(name, n) {
			return true
		}
	}
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// replaceAll replaces each match of re with repl(submatches); repl
// returns "" to keep the match as it is. Each replacement is counted.
func (r *Redactor) replaceAll(s string, re *regexp.Regexp, repl func(m []string) string) string {
	return r.replaceAllAt(s, re, func(s string, loc []int) string {
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		return repl(m)
	})
}

func (r *Redactor) replaceAllAt(s string, re *regexp.Regexp, repl func(s string, loc []int) string) string {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		out := repl(s, loc)
		if out == "" {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(out)
		last = loc[1]
		r.count++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Text returns text without the secrets the patterns find (keys, tokens,
// passwords, credentials in URLs and headers) nor any of secrets.
func Text(text string, secrets ...string) string {
	return New(secrets...).Text(text)
}
