package profile

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// markdown parses help texts as the GUI's renderer does: Fyne's RichText reads Markdown
// with goldmark's default CommonMark parser, so a link lint sees is a link a person can
// click, and the other way round.
var markdown = goldmark.New()

// BodyLinks returns the destination of every link in a Markdown text, in order: inline and
// reference links as written, autolinks (<scheme:…>) too, an e-mail autolink as mailto:.
// Images are not links: the GUI draws only cached assets and never opens their source.
func BodyLinks(md string) []string {
	src := []byte(md)
	doc := markdown.Parser().Parse(text.NewReader(src))
	var links []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := n.(type) {
		case *ast.Link:
			links = append(links, string(l.Destination))
		case *ast.AutoLink:
			u := string(l.URL(src))
			if l.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
				u = "mailto:" + u
			}
			links = append(links, u)
		}
		return ast.WalkContinue, nil
	})
	return links
}

// isNetworkPath reports a Windows network path (\\server\share, //server/share or any mix
// of slashes): opening one makes Windows connect to the server and offer the person's
// credentials.
func isNetworkPath(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= 2 && (s[0] == '\\' || s[0] == '/') && (s[1] == '\\' || s[1] == '/')
}

// bodyLinks checks every link of a Markdown text against the link policy of [[links]]:
// http, https or a scheme of allowed_schemes, never a network path. Links to an asset
// are checked by assetRefs and shown as plain text.
func (v *validator) bodyLinks(path string, t Text) {
	for _, lang := range [...]struct{ key, body string }{{"fr", t.FR}, {"en", t.EN}} {
		for _, dest := range BodyLinks(lang.body) {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(dest)), "asset:") {
				continue
			}
			if isNetworkPath(dest) {
				v.add(path+"."+lang.key, "link_unc", dest)
				continue
			}
			v.addProblem(path+"."+lang.key, v.linkURLProblem(dest))
		}
	}
}

// MaxLinkURLLen bounds a link's URL that CheckURL accepts: far above any real
// one, well below the command-line limits of every platform.
const MaxLinkURLLen = 8 << 10

// LinkError is why CheckURL refuses a link's URL: its scheme is not
// allowed (Scheme), or the URL itself is not one to open (Detail).
type LinkError struct {
	URL    string // the link's URL, as given
	Scheme string // the refused scheme, lower case; "" when the URL is invalid
	Detail string // what is wrong with an invalid URL ("no scheme", "no host"…)
}

func (e *LinkError) Error() string {
	if e.Scheme != "" {
		return fmt.Sprintf("profile: link scheme not allowed: %q (http, https or the profile's allowed_schemes)", e.Scheme)
	}
	return "profile: invalid link URL: " + e.Detail
}

// CheckURL returns the URL's scheme, lower case, if a link to it may be
// opened: no control character, a scheme that is http, https or in
// allowedSchemes (and never one on ForbiddenScheme's deny list), and for
// the web a host. Otherwise the error is a *LinkError. The URL itself is
// never rewritten. It is the link policy of internal/launch (which opens
// links) and of the app (which shows as links only what launch opens).
func CheckURL(url string, allowedSchemes []string) (string, error) {
	invalid := func(why string) (string, error) {
		return "", &LinkError{URL: url, Detail: why}
	}
	switch {
	case url == "":
		return invalid("empty")
	case len(url) > MaxLinkURLLen:
		return invalid(fmt.Sprintf("longer than %d bytes", MaxLinkURLLen))
	case !utf8.ValidString(url):
		return invalid("not UTF-8")
	}
	for _, r := range url {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return invalid(fmt.Sprintf("control character %U", r))
		}
	}
	i := strings.IndexByte(url, ':')
	if i <= 0 || !validScheme(url[:i]) {
		// Also what keeps a URL from starting with "-" and passing for
		// an option of the program that receives it.
		return invalid("no scheme")
	}
	scheme := strings.ToLower(url[:i])
	allowed := scheme == "http" || scheme == "https"
	if !allowed && !ForbiddenScheme(scheme) {
		allowed = slices.ContainsFunc(allowedSchemes, func(s string) bool { return strings.EqualFold(s, scheme) })
	}
	if !allowed {
		return "", &LinkError{URL: url, Scheme: scheme}
	}
	if scheme == "http" || scheme == "https" {
		rest := url[i+1:]
		if !strings.HasPrefix(rest, "//") || len(rest) == 2 || strings.ContainsAny(rest[2:3], "/?#") {
			return invalid("no host")
		}
	}
	return scheme, nil
}
