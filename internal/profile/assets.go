package profile

import "regexp"

// assetLink finds asset:<id> as the destination of a Markdown image or link, inline
// ("](asset:id)" or "](<asset:id>)") or in a reference definition ("[x]: asset:id").
var assetLink = regexp.MustCompile(`(?:\]\(\s*<?|(?m:^[ ]{0,3}\[[^\]]+\]:[ \t]*<?))asset:([^\s)>"']*)`)

// AssetRefs returns the asset ids a Markdown text refers to, each once, in order of first
// appearance. An empty reference ("asset:") is returned as "" so that it is reported rather
// than silently ignored.
func AssetRefs(markdown string) []string {
	var refs []string
	seen := make(map[string]bool)
	for _, m := range assetLink.FindAllStringSubmatch(markdown, -1) {
		if id := m[1]; !seen[id] {
			seen[id] = true
			refs = append(refs, id)
		}
	}
	return refs
}
