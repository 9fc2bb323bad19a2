package i18n

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"math"
	"strconv"
	"strings"
	"time"
)

// Duration words d for a person in lang: "0,8 s", "1,5 s", "42 s",
// "15 min", "1 h 5 min" in French; "0.8 s", "15 min", "1 h 5 min" in
// English. Never milliseconds and never Go's "15m0s": under a minute it
// is seconds with at most one decimal (a tenth is the least a person
// notices), above it whole minutes, then hours and minutes.
func Duration(lang string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < 10*time.Second:
		tenths := math.Round(d.Seconds() * 10)
		if tenths == 0 && d > 0 {
			tenths = 1 // "0,1 s" rather than a false "0 s"
		}
		return Decimal(lang, tenths/10, 1) + " s"
	case d < time.Minute:
		return strconv.Itoa(int(math.Round(d.Seconds()))) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(math.Round(d.Minutes()))) + " min"
	}
	m := int(math.Round(d.Minutes()))
	h, m := m/60, m%60
	if m == 0 {
		return Integer(lang, h) + " h"
	}
	return Integer(lang, h) + " h " + strconv.Itoa(m) + " min"
}

// Decimal writes x with at most prec decimals (trailing zeros dropped) and
// the decimal separator of lang: a comma in French, a point in English.
func Decimal(lang string, x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if Normalize(lang) == FR {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Integer writes n with the digit grouping of lang, CLDR's: "99 950"
// (a no-break space) in French, "99,950" in English.
func Integer(lang string, n int) string {
	tag := language.French
	if Normalize(lang) == EN {
		tag = language.English
	}
	return message.NewPrinter(tag).Sprint(number.Decimal(n))
}

// DateTime is t as a person of lang writes a day and a time, with the year,
// in t's own location: "2 mars 2026 à 09:05" ("1er mars…" on the first),
// "2 March 2026, 09:05"; "—" for an unknown (zero) time, never year 1.
func DateTime(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	month := t.Month().String()
	if months := strings.Split(T(lang, "date.months"), ","); len(months) == 12 {
		month = months[t.Month()-1]
	}
	if t.Day() == 1 {
		return T(lang, "date.datetime_first", month, t.Year(), t.Format("15:04"))
	}
	return T(lang, "date.datetime", t.Day(), month, t.Year(), t.Format("15:04"))
}
