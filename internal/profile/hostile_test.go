package profile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Hostile or broken files near the size limit must cost time in proportion to their size.
// Each of these once took minutes or exhausted memory.
func TestHostileInputs(t *testing.T) {
	fill := func(unit func(i int) string) string {
		var b strings.Builder
		for i := 0; ; i++ {
			u := unit(i)
			if b.Len()+len(u) > MaxProfileSize {
				return b.String()
			}
			b.WriteString(u)
		}
	}
	var dense strings.Builder
	dense.WriteString("schema = 1\nserial = 1\n")
	const n = 3000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&dense, "[[apps]]\nid = \"a%d\"\nrequires = [\"a%d\", \"a0\", \"a1\", \"a2\"]\n", i, (i+1)%n)
	}
	inputs := map[string]string{
		"unknown keys":    fill(func(i int) string { return fmt.Sprintf("k%d = 1\n", i) }),
		"unknown tables":  fill(func(i int) string { return fmt.Sprintf("[t%d]\n", i) }),
		"empty apps":      fill(func(int) string { return "[[apps]]\n[[apps.checks]]\n" }),
		"long array":      "tunnel.allowed_ips = [" + strings.Repeat(`"x",`, MaxProfileSize/4-10) + "]",
		"long dotted key": "a" + strings.Repeat(".a", MaxProfileSize/2-10) + " = 1",
		"long header":     "[a" + strings.Repeat(".a", MaxProfileSize/2-10) + "]",
		"nested arrays":   "a = " + strings.Repeat("[", MaxProfileSize-10),
		"dense cycles":    dense.String(),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("f.toml", []byte(in))
			elapsed := time.Since(start)
			var l ErrorList
			if !errors.As(err, &l) || len(l) == 0 || len(l) > MaxErrors {
				t.Fatalf("got %v", err)
			}
			// Generous: a linear pass takes well under a second even with -race on a
			// busy machine; the quadratic ones took minutes.
			if elapsed > 20*time.Second {
				t.Errorf("took %v", elapsed)
			}
			t.Logf("%d bytes in %v, first error %v", len(in), elapsed, l[0])
		})
	}
}
