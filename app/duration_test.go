package app

import (
	"testing"
	"time"
)

// Durations an agent reads are in the locale's words: seconds with a
// decimal comma in French, whole minutes beyond a minute, never
// milliseconds ("durée : 0 ms") nor "15 min 00 s".
func TestDurationWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"fr", 0, "0 s"},
		{"fr", 42 * time.Millisecond, "0,1 s"},
		{"fr", 1500 * time.Millisecond, "1,5 s"},
		{"en", 1500 * time.Millisecond, "1.5 s"},
		{"fr", 15 * time.Minute, "15 min"},
		{"en", 95 * time.Minute, "1 h 35 min"},
	} {
		if got := duration(tc.lang, tc.d); got != tc.want {
			t.Errorf("duration(%s, %v) = %q, want %q", tc.lang, tc.d, got, tc.want)
		}
	}
}

// An unknown time never reads as year 1 ("0001-01-01 00:00", "1 janvier
// 1"): a screen that gets a zero time says "—".
func TestNoZeroDate(t *testing.T) {
	t.Parallel()
	for _, got := range []string{clock(testNow, time.Time{}), longDate(testNow, time.Time{})} {
		if got != "—" {
			t.Errorf("a zero time reads %q, want \"—\"", got)
		}
	}
}
