package bundle

import (
	"strings"
	"testing"
)

// Up to MaxListed entries are listed one by one; past it, MaxListed are
// and the rest is a number, said in the reader's language.
func TestListedAndMore(t *testing.T) {
	for _, tc := range []struct{ n, shown, more int }{
		{0, 0, 0}, {1, 1, 0}, {MaxListed, MaxListed, 0}, {MaxListed + 1, MaxListed, 1}, {100_000, MaxListed, 100_000 - MaxListed},
	} {
		if shown, more := Listed(tc.n); shown != tc.shown || more != tc.more {
			t.Errorf("Listed(%d) = %d, %d; want %d, %d", tc.n, shown, more, tc.shown, tc.more)
		}
	}
	if fr := More("fr", 99_950); !strings.Contains(fr, "99") || !strings.Contains(fr, "950 autres") {
		t.Errorf("More fr: %q", fr)
	}
	if en, one := More("en", 2), More("en", 1); !strings.Contains(en, "2 more") || !strings.Contains(one, "1 more") {
		t.Errorf("More en: %q, %q", en, one)
	}
	if one := More("fr", 1); !strings.Contains(one, "1 autre.") {
		t.Errorf("More fr, one: %q", one)
	}
}
