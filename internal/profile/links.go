package profile

import (
	"strings"

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
