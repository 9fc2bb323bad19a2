package profile

import "regexp"

// Bounds of a profile's assets, with MaxAssetSize for each one. A sync
// downloads every asset it does not have yet, verifies it against its pin
// and keeps it until the profile and its assets are saved in one step: these
// bound what a hostile or broken profile can make a laptop download and
// hold.
const (
	// MaxAssets bounds the [[assets]] of a profile (lint refuses more): the
	// pictures of a few help pages and drills, with room to spare.
	MaxAssets = 100
	// MaxAssetsTotalSize bounds the bytes of the assets one sync downloads,
	// all together (each asset once, however many entries pin the same
	// SHA-256): six assets of MaxAssetSize, or many small pictures. A sync
	// that would need more is refused with ErrAssetsTooLarge and keeps the
	// last good profile.
	MaxAssetsTotalSize = 64 << 20
)

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
