package status

import "strings"

// Fault is an essential app that is not ok, as `relais up` tells it: the
// app, and the reason of its first check that is not ok and has one (nil:
// none, or the app is under announced maintenance; a front end then words
// the app's state).
type Fault struct {
	App    *AppResult
	Reason *Reason
}

// EssentialFaults lists each essential app of rep that is not ok, in the
// report's order; key identifies them by app, state and reason code, not
// by the values seen, which change with every run: two reports with the
// same key tell the same faults. A blocked app's key names what blocks it
// (its checks carry the checks' own sentence: what it waits for).
func EssentialFaults(rep *Report) (faults []Fault, key string) {
	var keys []string
	for i := range rep.Apps {
		a := &rep.Apps[i]
		if a.Criticality != "essential" || a.State == StateOK {
			continue
		}
		f := Fault{App: a}
		for _, c := range a.Checks {
			if a.State == StateMaintenance {
				break // planned: the app's state says it, not a failure's reason
			}
			if c.State != StateOK && c.Reason != nil {
				f.Reason = c.Reason
				break
			}
		}
		faults = append(faults, f)
		if a.State == StateBlocked {
			keys = append(keys, a.ID+":blocked:"+strings.Join(a.BlockedBy, ","))
			continue
		}
		code := ""
		if f.Reason != nil {
			code = f.Reason.Code
		}
		keys = append(keys, a.ID+":"+string(a.State)+":"+code)
	}
	return faults, strings.Join(keys, " ")
}
