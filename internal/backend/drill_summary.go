package backend

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"relais/internal/drills"
	"relais/internal/frontend"
)

// Summary table formats (TableFormat).
const (
	TableCSV  = "csv"
	TableHTML = "html"
)

// TableFormat is the format the ambassadors' table is written in for a
// file name: TableCSV (.csv), TableHTML (.html, .htm), or "" for any other
// extension.
func TableFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return TableCSV
	case ".html", ".htm":
		return TableHTML
	}
	return ""
}

// WriteSummary reads report files (each a report's JSON or its HTML page)
// into one table and writes it to out, in the format its name asks
// (TableFormat), its words in lang. Errors are coded: which file is not a
// report and why (BadReport), or cli.drill.export_failed when out cannot
// be written.
func WriteSummary(paths []string, out, lang string) (*drills.Table, error) {
	format := TableFormat(out)
	if format == "" {
		err := fmt.Errorf("%s: .csv or .html", filepath.Ext(out))
		return nil, frontend.Wrap(err, "cli.drill.export_failed", out, Coded(err))
	}
	t, err := SummarizeFiles(paths)
	if err != nil {
		return nil, BadReport(err)
	}
	f, err := os.Create(out)
	if err != nil {
		return nil, frontend.Wrap(err, "cli.drill.export_failed", out, Coded(err))
	}
	if err := errors.Join(writeTable(f, *t, format, lang), f.Close()); err != nil {
		return nil, frontend.Wrap(err, "cli.drill.export_failed", out, Coded(err))
	}
	return t, nil
}

// writeTable writes t to w in format.
func writeTable(w io.Writer, t drills.Table, format, lang string) error {
	if format == TableCSV {
		return t.WriteCSV(w, lang)
	}
	return t.WriteHTML(w, lang)
}
