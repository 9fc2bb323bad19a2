package redact

import (
	"net/url"
	"strings"
)

// hidden replaces a password, a user name or a query value in a URL
// (what net/url's Redacted writes for a password).
const hidden = "xxxxx"

// URL returns s fit to store or log: a URL's password and the values of
// query parameters named like secrets replaced by "xxxxx"; the user name,
// host, path and other parameters kept. A string that is not a URL with a
// scheme (a file path, a word) is returned unchanged.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return s
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), hidden)
			changed = true
		}
	}
	if q, ok := redactQuery(u.RawQuery); ok {
		u.RawQuery, changed = q, true
	}
	if !changed {
		return s
	}
	return u.String()
}

// redactQuery hides the value of every parameter of a raw query whose name
// is secret-ish; ok reports whether one was.
func redactQuery(raw string) (string, bool) {
	if raw == "" {
		return raw, false
	}
	parts := strings.Split(raw, "&")
	ok := false
	for i, p := range parts {
		name, value, found := strings.Cut(p, "=")
		if !found || value == "" || value == hidden {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if SecretName(name) {
			parts[i], ok = p[:len(p)-len(value)]+hidden, true
		}
	}
	return strings.Join(parts, "&"), ok
}

// SecretName reports whether a parameter or field name names a secret:
// a strong name anywhere in it (dbPassword, myToken), a weak one (key,
// sig, signature, pwd, psk, auth, credential) as a whole word of it, never a public
// one (server_public_key).
func SecretName(name string) bool {
	lower := strings.ToLower(name)
	if lower == "" || strings.Contains(lower, "pub") {
		return false
	}
	for _, n := range strongNames {
		if strings.Contains(lower, n) {
			return true
		}
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for _, w := range words {
		switch w {
		case "key", "sig", "signature", "pwd", "psk", "auth", "credential", "credentials":
			return true
		}
	}
	return false
}

// Target returns a probed target fit to show: no user information, no
// query string. A string that is not a URL with a host is unchanged.
func Target(s string) string { return URLIn(s, s) }

// URLIn returns text (an error that quotes rawURL, or rawURL itself)
// without rawURL's user name, password and query string: the user
// information becomes "xxxxx", the query "…". Text is unchanged when
// rawURL is not a URL with a host.
func URLIn(text, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return text
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			// As written in rawURL (escaped) and as decoded.
			if i := strings.LastIndex(rawURL, "@"); i > 0 {
				if j := strings.Index(rawURL, "://"); j >= 0 && j+3 < i {
					if _, esc, ok := strings.Cut(rawURL[j+3:i], ":"); ok && esc != "" {
						text = strings.ReplaceAll(text, esc, hidden)
					}
				}
			}
			text = strings.ReplaceAll(text, p, hidden)
		}
		if n := u.User.Username(); n != "" {
			text = strings.ReplaceAll(text, n+"@", hidden+"@")
			text = strings.ReplaceAll(text, n+":", hidden+":")
		}
	}
	if u.RawQuery != "" {
		text = strings.ReplaceAll(text, u.RawQuery, "…")
	}
	return text
}
