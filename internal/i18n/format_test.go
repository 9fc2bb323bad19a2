package i18n

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d      time.Duration
		fr, en string
	}{
		{1508 * time.Millisecond, "1,5 s", "1.5 s"},
		{800 * time.Millisecond, "0,8 s", "0.8 s"},
		{2 * time.Millisecond, "0,1 s", "0.1 s"},
		{0, "0 s", "0 s"},
		{5 * time.Second, "5 s", "5 s"},
		{42400 * time.Millisecond, "42 s", "42 s"},
		{15 * time.Minute, "15 min", "15 min"},
		{65 * time.Minute, "1 h 5 min", "1 h 5 min"},
		{3 * time.Hour, "3 h", "3 h"},
		// Hours are grouped as any number is in the language.
		{100000 * time.Hour, Integer(FR, 100000) + " h", "100,000 h"},
	} {
		if got := Duration(FR, tt.d); got != tt.fr {
			t.Errorf("fr %v: %q, want %q", tt.d, got, tt.fr)
		}
		if got := Duration(EN, tt.d); got != tt.en {
			t.Errorf("en %v: %q, want %q", tt.d, got, tt.en)
		}
	}
}

func TestInteger(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"fr", 7, "7"}, {"fr", 99950, "99\u00a0950"}, {"fr", -1234567, "-1\u00a0234\u00a0567"},
		{"en", 99950, "99,950"}, {"en", 1000, "1,000"}, {"en", 0, "0"},
	} {
		if got := Integer(c.lang, c.n); got != c.want {
			t.Errorf("Integer(%s, %d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func TestDateTime(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 5, 0, 0, time.UTC)
	first := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		lang string
		t    time.Time
		want string
	}{
		{FR, at, "2 mars 2026 à 09:05"},
		{EN, at, "2 March 2026, 09:05"},
		{FR, first, "1er décembre 2026 à 18:00"},
		{EN, first, "1 December 2026, 18:00"},
		{FR, time.Time{}, "—"},
	} {
		if got := DateTime(tt.lang, tt.t); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.lang, tt.t, got, tt.want)
		}
	}
}
