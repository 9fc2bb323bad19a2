package status

import "time"

// UpWatch follows the snapshots of a Mode urgence that runs until stopped
// (`relais up`) and says what each brings that a person watching it was
// not told yet. Events arrive coalesced, each with the whole snapshot: the
// latest one says everything. The zero UpWatch has told nothing.
type UpWatch struct {
	tunnel   string // the tunnel failure told last: its code and error
	verdict  string // the verdict told last, with its faults (EssentialFaults' key)
	operated bool   // the time to operational is told
}

// UpNews is what a snapshot brings that was not told yet.
type UpNews struct {
	// TunnelFailure is the code of a tunnel that cannot come back
	// (Snapshot.TunnelFailure), new since the last one told, and
	// TunnelError its error; "": nothing new.
	TunnelFailure, TunnelError string
	// Verdict, if set, is the verdict (VerdictOf), told again when it or
	// the essential apps at fault change; never off (the tunnel is
	// closing: its own lines say so), nor before the first report.
	Verdict *Verdict
	// Faults are the essential apps at fault to list under Verdict: none
	// when it is operational, or when the tunnel failed (its line says
	// why).
	Faults []Fault
	// TimeToOperational is the time to operational, the first time it is
	// known.
	TimeToOperational *time.Duration
}

// See returns what s brings that was not told yet, and takes it as told.
func (w *UpWatch) See(s Snapshot) UpNews {
	var n UpNews
	if code := s.TunnelFailure(); code+s.TunnelError != w.tunnel {
		w.tunnel = code + s.TunnelError
		n.TunnelFailure, n.TunnelError = code, s.TunnelError
	}
	if s.Report == nil {
		return n
	}
	v := VerdictOf(s)
	if v.Level == VerdictOff {
		return n
	}
	faults, key := EssentialFaults(s.Report)
	if key = string(v.Level) + " " + key; key != w.verdict {
		w.verdict = key
		n.Verdict = &v
		switch v.Level {
		case VerdictPartial, VerdictDegraded, VerdictMaintenance, VerdictFailed:
			if !v.TunnelFailed {
				n.Faults = faults
			}
		}
	}
	if s.TimeToOperational != nil && !w.operated {
		w.operated = true
		n.TimeToOperational = s.TimeToOperational
	}
	return n
}
