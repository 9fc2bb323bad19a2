package profile

import (
	"net/url"
	"strings"
	"unicode"
)

// The validation of links: the schemes a profile may not allow, and the
// [[links]] list with its URLs (links in Markdown bodies: links.go).

// forbiddenSchemes run code, read or run local files, reach file shares or hand a
// document to a program's command line when the system opens them: no profile may allow
// them, whatever case it writes them in. Every ms-* scheme is refused too (see
// forbiddenScheme): Windows registers dozens (ms-msdt, ms-officecmd, ms-word, ms-excel…),
// several of which run commands given in the URL.
var forbiddenSchemes = map[string]bool{
	"about": true, "blob": true, "data": true, "file": true, "javascript": true, "vbscript": true,
	"jar": true, "res": true, "shell": true, "mhtml": true, "mk": true, "hcp": true, "its": true,
	"search": true, "search-ms": true, "smb": true, "cifs": true, "nfs": true, "afp": true,
	"jnlp": true, "view-source": true,
}

// ForbiddenScheme reports whether a scheme, in any case, is on the deny
// list, or is one letter (C:\Windows\… parses as the scheme "c": a drive).
func ForbiddenScheme(s string) bool {
	s = strings.ToLower(s)
	return len(s) == 1 || forbiddenSchemes[s] || strings.HasPrefix(s, "ms-")
}

func (v *validator) schemes(list []string) {
	v.allowedSchemes = map[string]bool{"http": true, "https": true}
	for i, s := range list {
		path := index("allowed_schemes", i)
		switch {
		case !validScheme(s):
			v.add(path, "scheme_syntax", s)
		case len(s) == 1: // a drive letter (ForbiddenScheme), said as such
			v.add(path, "scheme_drive", s)
		case ForbiddenScheme(s):
			v.add(path, "scheme_forbidden", s)
		case strings.ToLower(s) != s:
			v.add(path, "lower_case")
		case s == "http" || s == "https":
			v.add(path, "scheme_always", s)
		default:
			v.allowedSchemes[s] = true
		}
	}
}

// validScheme follows RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func (v *validator) linkList(links []Link) {
	v.linkIDs = make(map[string]bool)
	seen := make(map[string]string)
	for i := range links {
		l := &links[i]
		path := index("links", i)
		if v.id(path+".id", l.ID, "link", seen) {
			v.linkIDs[l.ID] = true
		}
		v.text(path+".name", l.Name, true)
		v.text(path+".description", l.Description, false)
		if v.str(path+".url", l.URL) {
			v.addProblem(path+".url", v.linkURLProblem(l.URL))
		}
		v.via(path+".via", l.Via)
		for j, need := range l.Needs {
			if _, ok := v.appIDs[need]; !ok {
				v.add(index(path+".needs", j), "unknown_app", need)
			}
		}
	}
}

// linkURLProblem: links are opened by the system, so the scheme decides which program runs;
// only the web and the schemes the organisation listed may.
func (v *validator) linkURLProblem(s string) Problem {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return problem("url_invalid")
	case !u.IsAbs():
		return problem("url_absolute")
	case !v.allowedSchemes[u.Scheme]:
		return problem("scheme_link", u.Scheme)
	case u.User != nil:
		return problem("url_userinfo")
	case (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() == "":
		return problem("url_host")
	}
	return Problem{}
}

// ValidID reports whether s is an id as the profile spells them: lower-case
// ASCII letters, digits and inner hyphens, at most 64 bytes. The notices
// document uses the same rule for its ids and app ids.
func ValidID(s string) bool { return validID(s) }

// notices checks [notices]: where the notices document is fetched (like
// every URL Relais fetches) and the minisign key that alone signs it.
func (v *validator) notices(n *Notices) {
	if v.ps.has("notices.url") {
		v.webURL("notices.url", n.URL)
	} else {
		v.add("notices.url", "required")
	}
	if v.str("notices.public_key", n.PublicKey) {
		if _, err := ParseTrustedKey(n.PublicKey); err != nil {
			v.add("notices.public_key", "notice_key")
		}
	}
}

// enrolment checks [enrolment]: the server's enrolment URL (like every URL
// Relais calls) and the optional key that signs grants.
func (v *validator) enrolment(e *Enrolment) {
	if v.ps.has("enrolment.url") {
		v.webURL("enrolment.url", e.URL)
	} else {
		v.add("enrolment.url", "required")
	}
	if v.ps.has("enrolment.public_key") && v.str("enrolment.public_key", e.PublicKey) {
		if _, err := ParseTrustedKey(e.PublicKey); err != nil {
			v.add("enrolment.public_key", "grant_key")
		}
	}
}

// captive checks [captive]: the probe's URL (http or https: a portal can
// only intercept plain http, but an organisation may prefer its own https
// endpoint) and the status it must answer.
func (v *validator) captive(c *Captive) {
	if v.str("captive.url", c.URL) {
		v.addProblem("captive.url", CaptiveURLProblem(c.URL))
	}
	if v.ps.has("captive.expect_status") && (c.ExpectStatus < MinCaptiveStatus || c.ExpectStatus > MaxCaptiveStatus) {
		v.add("captive.expect_status", "range", MinCaptiveStatus, MaxCaptiveStatus)
	}
}

// The statuses a captive probe may be told to expect.
const (
	MinCaptiveStatus = 200
	MaxCaptiveStatus = 599
)

// CaptiveURLProblem is what is wrong with s as a captive probe's URL: it
// must be an absolute http or https URL naming a host, with no user
// information. The managed configuration checks its captive_url with it too.
func CaptiveURLProblem(s string) Problem {
	if strings.TrimSpace(s) != s || strings.ContainsFunc(s, unicode.IsControl) {
		return problem("url_invalid")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return problem("url_invalid")
	case !u.IsAbs():
		return problem("url_absolute")
	case u.Scheme != "http" && u.Scheme != "https":
		return problem("scheme_target")
	case u.Hostname() == "":
		return problem("url_host")
	case u.User != nil:
		return problem("url_userinfo")
	}
	return Problem{}
}
