package app

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"relais/internal/drills"
	"relais/internal/profile"
)

// The ambassadors' table of the Exercices tab: the reports colleagues sent,
// read from files and summed up in a table saved for a spreadsheet or a
// browser.

// reportExts are the report files the table reads: the report's JSON and
// the page "Enregistrer le rapport" writes.
var reportExts = []string{".json", ".html", ".htm"}

func (s *drillsScreen) onAddReport() {
	d := dialog.NewFileOpen(s.onReportChosen, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter(reportExts))
	d.Show()
}

// onAddFolder adds every report file of a folder: a coordinator's
// "received reports" folder at once.
func (s *drillsScreen) onAddFolder() {
	dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			showText(s.summaryMsg, tr("app.drills.summary.open_failed", words(err)))
			return
		}
		if u != nil {
			s.addFolderPath(u.Path())
		}
	}, s.u.win).Show()
}

// addFolderPath adds the report files (.json, .html) directly in dir.
func (s *drillsScreen) addFolderPath(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		showText(s.summaryMsg, tr("app.drills.summary.open_failed", words(err)))
		return
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() && slices.Contains(reportExts, strings.ToLower(filepath.Ext(e.Name()))) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) == 0 {
		showText(s.summaryMsg, tr("app.drills.summary.folder_empty", dir))
		return
	}
	s.addReports(paths)
}

// onSaveTable saves the table for a spreadsheet (.csv) or a browser
// (.html).
func (s *drillsScreen) onSaveTable() {
	if s.table == nil || s.summarizing {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			showText(s.summaryMsg, tr("app.drills.summary.save_failed", words(err)))
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		s.saveTableTo(path)
	}, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".html"}))
	d.SetFileName(tr("app.drills.summary.file_name") + ".csv")
	d.Show()
}

// saveTableTo writes the table to path: HTML for .html or .htm, else CSV
// (a name without either gets .csv).
func (s *drillsScreen) saveTableTo(path string) {
	t, lang := s.table, s.u.lang
	if t == nil {
		return
	}
	s.u.background(func() {
		target := path
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".csv" && ext != ".html" && ext != ".htm" {
			target = path + ".csv"
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
				os.Remove(path) // what the dialog left
			}
		}
		var buf bytes.Buffer
		var err error
		if ext == ".html" || ext == ".htm" {
			err = t.WriteHTML(&buf, lang)
		} else {
			err = t.WriteCSV(&buf, lang)
		}
		if err == nil {
			err = os.WriteFile(target, buf.Bytes(), 0o644)
		}
		fyne.Do(func() {
			if err != nil {
				showText(s.summaryMsg, tr("app.drills.summary.save_failed", words(err)))
				s.summaryMsg.Importance = widget.DangerImportance
			} else {
				showText(s.summaryMsg, tr("app.drills.summary.saved", target))
				s.summaryMsg.Importance = widget.SuccessImportance
			}
			s.summaryMsg.Refresh()
		})
	})
}

func (s *drillsScreen) onReportChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		showText(s.summaryMsg, tr("app.drills.summary.open_failed", words(err)))
		return
	}
	if r == nil {
		return // cancelled
	}
	path := r.URI().Path()
	// The backend reads the file itself.
	r.Close()
	s.addReports([]string{path})
}

// addReports adds report files to the table (a file already in it counts
// once) and makes the table again; when a file cannot be read, the table
// stays as it was and the sentence says why.
func (s *drillsScreen) addReports(paths []string) {
	if s.summarizing {
		return
	}
	all := append([]string(nil), s.reportPaths...)
	for _, p := range paths {
		seen := false
		for _, q := range all {
			seen = seen || q == p
		}
		if !seen {
			all = append(all, p)
		}
	}
	s.summarizing = true
	s.refreshSummary()
	b := s.u.b
	s.u.background(func() {
		t, err := b.Summarize(all)
		fyne.Do(func() {
			s.summarizing = false
			if err != nil {
				showText(s.summaryMsg, tr("app.drills.summary.failed", words(err)))
				s.summaryMsg.Importance = widget.DangerImportance
				s.summaryMsg.Refresh()
			} else {
				showText(s.summaryMsg, "")
				s.reportPaths, s.table = all, t
			}
			s.refreshSummary()
			relayout(s.listBox, s.listScroll)
		})
	})
}

func (s *drillsScreen) onClearReports() {
	if s.summarizing {
		return
	}
	s.reportPaths, s.table = nil, nil
	showText(s.summaryMsg, "")
	s.refreshSummary()
	relayout(s.listBox, s.listScroll)
}

// refreshSummary shows the files chosen and their table.
func (s *drillsScreen) refreshSummary() {
	spin(s.summaryBusy, s.summarizing)
	setEnabled(s.addReport, !s.summarizing)
	setEnabled(s.clearReports, !s.summarizing && len(s.reportPaths) > 0)
	setEnabled(s.saveTable, !s.summarizing && s.table != nil)
	names := make([]string, len(s.reportPaths))
	for i, p := range s.reportPaths {
		names[i] = filepath.Base(p)
	}
	switch len(names) {
	case 0:
		showText(s.reportFiles, "")
	case 1:
		showText(s.reportFiles, tr("app.drills.summary.file_one", names[0]))
	default:
		showText(s.reportFiles, tr("app.drills.summary.file_many", len(names), strings.Join(names, ", ")))
	}
	s.summaryGrid.RemoveAll()
	if s.table == nil {
		s.summaryGrid.Hide()
		return
	}
	s.summaryGrid.Show()
	bold := func(t string) fyne.CanvasObject {
		return &widget.Label{Text: t, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	}
	cell := func(t string) fyne.CanvasObject { return &widget.Label{Text: t, Wrapping: fyne.TextWrapWord} }
	for _, k := range []string{"who", "drill", "when", "completed", "tto", "failed"} {
		s.summaryGrid.Add(bold(tr("app.drills.summary.col." + k)))
	}
	now, l := s.u.now(), s.u.lang
	for _, r := range s.table.Rows {
		s.summaryGrid.Add(cell(r.Participant))
		s.summaryGrid.Add(cell(r.DrillTitle.In(l)))
		s.summaryGrid.Add(cell(longDate(now, r.Started)))
		s.summaryGrid.Add(cell(yesNo(r.Completed)))
		s.summaryGrid.Add(cell(ttoWords("app.drills.summary.", l, r.TimeToOperationalMS, r.RTOMS, r.WithinRTO)))
		s.summaryGrid.Add(cell(s.failedSteps(r)))
	}
}

// failedSteps names a row's failed steps by their titles when the profile
// knows the drill, else by their ids.
func (s *drillsScreen) failedSteps(r drills.Row) string {
	if len(r.FailedSteps) == 0 {
		return tr("app.drills.summary.none_failed")
	}
	var d *profile.Drill
	if p := s.u.prof.Profile; p != nil {
		d = p.Drill(r.DrillID)
	}
	names := make([]string, len(r.FailedSteps))
	for i, id := range r.FailedSteps {
		names[i] = id
		if d != nil {
			if st := drillStep(*d, id); st != nil {
				names[i] = st.Title.In(s.u.lang)
			}
		}
	}
	return strings.Join(names, ", ")
}
