package campaign

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"relais/internal/drills"
)

// csvBatch is how many reports the export parses at a time.
const csvBatch = 1000

// csv exports the drill's reports as internal/drills' ambassadors' table
// does (drills.Table.WriteCSV: UTF-8 with a BOM, ";", the header in the
// reader's language, formula-safe cells), one row per report, batch after
// batch: the first batch writes the BOM and the header, the others only
// their rows.
func (h *handler) csv(w http.ResponseWriter, r *http.Request, lang, id string) {
	ctx, cancel := context.WithTimeout(r.Context(), csvTimeout)
	defer cancel()
	first := true
	var buf bytes.Buffer
	_, err := h.db.EachReports(ctx, id, csvBatch, func(reps []drills.Report) error {
		buf.Reset()
		if err := drills.Summarize(reps).WriteCSV(&buf, lang); err != nil {
			return err
		}
		out := buf.Bytes()
		if first {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(id)+`"`)
			first = false
		} else if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:] // the BOM and the header, written once
		}
		_, err := w.Write(out)
		return err
	})
	switch {
	case first && err == nil:
		h.fail(w, r, lang, http.StatusNotFound, "campaign.not_found")
	case first && errors.Is(err, context.DeadlineExceeded), first && err != nil:
		h.fail(w, r, lang, http.StatusServiceUnavailable, "campaign.unavailable")
	}
	// An error after the first batch: the response has begun; the client
	// sees a cut transfer (no chunked terminator), never a short file that
	// looks whole.
	if !first && err != nil {
		panic(http.ErrAbortHandler)
	}
}

// fileName is the export's name: campagne-ID.csv, the id kept to letters,
// digits, '.', '-' and '_'.
func fileName(id string) string {
	var b strings.Builder
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	return "campagne-" + b.String() + ".csv"
}
