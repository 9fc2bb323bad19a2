package backend

// ReportJSON is a run's report as it stands, in the JSON the receiver
// gets (and a report file holds).
func (d *Local) ReportJSON(runID string) ([]byte, error) {
	rep, err := d.Report(runID)
	if err != nil {
		return nil, err
	}
	b, err := rep.JSON()
	if err != nil {
		return nil, d.drillError(err)
	}
	return b, nil
}
