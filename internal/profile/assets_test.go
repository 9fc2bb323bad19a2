package profile

import (
	"fmt"
	"strings"
	"testing"
)

// A profile may list at most MaxAssets assets.
func TestTooManyAssets(t *testing.T) {
	var b strings.Builder
	b.WriteString(base)
	for i := 0; i <= MaxAssets; i++ {
		fmt.Fprintf(&b, "\n[[assets]]\nid = \"a%d.png\"\nurl = \"https://continuite.example.org/a%d.png\"\nsha256 = %q\n", i, i, strings.Repeat("a", 64))
	}
	_, err := Parse("p.toml", []byte(b.String()))
	l := errorList(t, err)
	if len(l) != 1 || l[0].Code != "too_many_assets" || l[0].Path != "assets" {
		t.Fatalf("got %v, want one too_many_assets on assets", err)
	}
}
