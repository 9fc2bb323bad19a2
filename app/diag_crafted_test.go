package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"relais/internal/diag/bundle"
)

// craftedBundle is a bundle a colleague crafted: n collector failures and
// n files in its manifest (a real one has a handful of each).
func craftedBundle(n int) *bundle.Bundle {
	b := sampleBundle()
	b.Manifest.Failures = make([]bundle.CollectorFailure, n)
	b.Manifest.Files = make([]bundle.FileEntry, n)
	for i := range n {
		b.Manifest.Failures[i] = bundle.CollectorFailure{Name: fmt.Sprintf("collecte-%d", i), Error: "délai dépassé"}
		b.Manifest.Files[i] = bundle.FileEntry{Name: fmt.Sprintf("fichier-%d.txt", i), Size: 10}
	}
	return b
}

// A crafted bundle with 100,000 collector failures and files opens: the
// viewer lists the first and counts the rest, and so does the verdict
// (bundle.Summary, as the app uses it), instead of laying out 100,000
// lines (4,000 took the old viewer two minutes). The time it takes is in
// BenchmarkDiagCraftedBundle.
func TestDiagCraftedBundleIsSummedUp(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			fb.Diag.Bundle = craftedBundle(100_000)
			tu, s, _ := newTestDiag(t, fb, l)
			s.summarize = bundle.Summary
			s.openPath("/tmp/x.zip.age")
			if s.view != diagBundle {
				t.Fatal("the crafted bundle did not open")
			}
			more := map[string]string{"fr": "… et 99\u00a0950 autres.", "en": "… and 99,950 more."}[l]
			for name, text := range map[string]string{"failures": s.bFails.Text, "files": s.bFiles.Text} {
				lines := strings.Split(text, "\n")
				if len(lines) != bundle.MaxListed+1 {
					t.Errorf("%s: %d lines, want %d and a count", name, len(lines), bundle.MaxListed)
				}
				if last := lines[len(lines)-1]; last != more {
					t.Errorf("%s: the last line is %q, want %q", name, last, more)
				}
			}
			if n := strings.Count(s.bSummary.Text, "\n"); n > 2*bundle.MaxListed {
				t.Errorf("the verdict has %d lines", n)
			}
			if !strings.Contains(s.bSummary.Text, more) {
				t.Errorf("the verdict does not count the failures it leaves out: %q", s.bSummary.Text[len(s.bSummary.Text)-300:])
			}
			tu.window.Resize(fyne.NewSize(1024, 768))
			capture(t, tu.window, "diag-bundle-crafted-"+l)
		})
	}
}

// BenchmarkDiagCraftedBundle is the time to open and lay out a bundle with
// 100,000 collector failures (the goal: under a second).
func BenchmarkDiagCraftedBundle(b *testing.B) {
	crafted := craftedBundle(100_000)
	fb := newFakeBackend(b)
	fb.Diag.Bundle = crafted
	tu, s, _ := newTestDiag(b, fb, "fr")
	s.summarize = bundle.Summary
	b.ResetTimer()
	for range b.N {
		s.showBundle(crafted, bundle.Summary(crafted, "fr"))
		tu.window.Resize(fyne.NewSize(1024, 768))
		_ = s.root.MinSize()
		tu.window.Canvas().Refresh(s.root)
	}
}
