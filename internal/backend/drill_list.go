package backend

import (
	"relais/internal/drills"
	"relais/internal/frontend"
)

// What a front end lists of the drills: the profile's drills with their
// windows and runs under way, and this device's runs with where their
// reports' deliveries stand.

// DrillList is the profile's drills now, each with where its window
// stands and this device's run of it under way; coded cli.desk.no_profile
// when no profile is in use.
func (d *Local) DrillList() ([]drills.Listed, error) {
	d.mu.Lock()
	p := d.prof.Profile
	d.mu.Unlock()
	if p == nil {
		return nil, frontend.Errorf("cli.desk.no_profile")
	}
	runs, err := d.Runs()
	if err != nil {
		return nil, err
	}
	return drills.List(p, runs, d.env.Now()), nil
}

// RunStatus is one run of this device and where its report's delivery
// stands.
type RunStatus struct {
	Run      *drills.Run
	Delivery frontend.Delivery
}

// RunStatuses are this device's runs, newest first, each with its
// report's delivery.
func (d *Local) RunStatuses() ([]RunStatus, error) {
	runs, err := d.Runs()
	if err != nil {
		return nil, err
	}
	out := make([]RunStatus, 0, len(runs))
	for _, r := range runs {
		out = append(out, RunStatus{Run: r, Delivery: d.Delivery(r.ID)})
	}
	return out, nil
}

// Undelivered: the report is finished but has not reached the receiver,
// still queued or refused.
func (s RunStatus) Undelivered() bool {
	return s.Run.State == drills.RunCompleted && Undelivered(s.Delivery)
}

// Undelivered: a report was queued for a receiver that does not have it
// (still pending, or refused for good).
func Undelivered(del frontend.Delivery) bool {
	return del.State == frontend.DeliveryPending || del.State == frontend.DeliveryRejected
}
