package drills

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// The ambassadors' table words durations in the reader's language, as
// the rest of Relais does: "1,5 s" and "objectif : 30 min" in French,
// "1.5 s" and "objective: 30 min" in English; never "30 min 00 s", the
// same in both languages.
func TestTableDurationsInReadersLanguage(t *testing.T) {
	tto, within := 1500.0, true
	slow, beyond := 754_321.4, false
	tab := Summarize([]Report{
		{Schema: 1, RunID: "r1", DrillID: "d", Participant: "Camille", Started: time.Date(2026, 11, 5, 13, 0, 0, 0, time.UTC),
			RTOMS: ms(30 * time.Minute), TimeToOperationalMS: &tto, WithinRTO: &within, Completed: true},
		{Schema: 1, RunID: "r2", DrillID: "d", Participant: "Louis", Started: time.Date(2026, 11, 5, 14, 0, 0, 0, time.UTC),
			RTOMS: ms(90 * time.Minute), TimeToOperationalMS: &slow, WithinRTO: &beyond},
	})
	for _, tc := range []struct {
		lang      string
		want, not []string
	}{
		{"fr", []string{"1,5 s", "objectif : 30 min", "13 min", "objectif : 1 h 30 min"}, []string{"1.5 s", "min 00 s", "h 30 min 00", " ms"}},
		{"en", []string{"1.5 s", "objective: 30 min", "13 min", "objective: 1 h 30 min"}, []string{"1,5 s", "min 00 s", " ms", "objectif"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tab.WriteHTML(&buf, tc.lang); err != nil {
				t.Fatal(err)
			}
			all := shownText(checkPage(t, buf.Bytes()))
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("the table lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(all, w) {
					t.Errorf("the table shows %q:\n%s", w, all)
				}
			}
		})
	}
}

// The CSV is for a spreadsheet in the reader's language: numbers with its
// decimal mark (a comma in French, where "754.321" is text) and booleans
// in its words (VRAI, FAUX), so that it computes on them; the columns say
// their unit.
func TestCSVNumbersInSpreadsheetLocale(t *testing.T) {
	tto, within := 754_321.4, false
	tab := Summarize([]Report{{Schema: 1, RunID: "r1", DrillID: "d", Participant: "Camille",
		Started: time.Date(2026, 11, 5, 13, 0, 0, 0, time.UTC), RTOMS: 600_500, TimeToOperationalMS: &tto, WithinRTO: &within, Completed: true}})
	for _, tc := range []struct {
		lang string
		want map[string]string
	}{
		{"fr", map[string]string{"Temps jusqu'à l'opérationnel (secondes)": "754,321", "Objectif (secondes)": "600,5",
			"Réussi": "VRAI", "Dans l'objectif": "FAUX"}},
		{"en", map[string]string{"Time to operational (seconds)": "754.321", "Objective (seconds)": "600.5",
			"Completed": "TRUE", "Within objective": "FALSE"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tab.WriteCSV(&buf, tc.lang); err != nil {
				t.Fatal(err)
			}
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff"))))
			cr.Comma = CSVSeparator
			recs, err := cr.ReadAll()
			if err != nil || len(recs) != 2 {
				t.Fatalf("%v %q", err, recs)
			}
			row := map[string]string{}
			for i, h := range recs[0] {
				row[h] = recs[1][i]
			}
			for col, want := range tc.want {
				if row[col] != want {
					t.Errorf("%s: %q, want %q", col, row[col], want)
				}
			}
		})
	}
}
