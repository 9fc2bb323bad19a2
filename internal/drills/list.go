package drills

import (
	"time"

	"relais/internal/profile"
)

// Listed is one drill of the profile as a front end lists it at a moment:
// where its window stands and this device's run of it under way.
type Listed struct {
	Drill  profile.Drill
	Window Window
	Active string // the id of the run under way; "" none
}

// List is every drill of p at now, in the profile's order, with the runs
// under way among runs (this device's).
func List(p *profile.Profile, runs []*Run, now time.Time) []Listed {
	out := []Listed{}
	if p == nil {
		return out
	}
	for _, d := range p.Drills {
		it := Listed{Drill: d, Window: WindowAt(d, now)}
		if r := ActiveRun(runs, d.ID); r != nil {
			it.Active = r.ID
		}
		out = append(out, it)
	}
	return out
}

// ActiveRun is the run of drill id under way among runs, or nil (the
// first one: there is at most one per drill).
func ActiveRun(runs []*Run, id string) *Run {
	for _, r := range runs {
		if r.DrillID == id && r.State == RunActive {
			return r
		}
	}
	return nil
}
