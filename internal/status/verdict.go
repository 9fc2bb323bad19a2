package status

// VerdictLevel is the overall state of Mode urgence, as every front end
// words it (Accueil, the tray, the status summary, `relais status` and
// `relais check`, a diagnostic bundle's summary).
type VerdictLevel string

// Verdict levels.
const (
	VerdictOff         VerdictLevel = "off"         // not started, or stopped
	VerdictConnecting  VerdictLevel = "connecting"  // the tunnel is coming up
	VerdictChecking    VerdictLevel = "checking"    // the tunnel is up, the first checks are under way
	VerdictOperational VerdictLevel = "operational" // every essential app is ok
	VerdictDegraded    VerdictLevel = "degraded"    // every essential app answers, some slowly
	VerdictPartial     VerdictLevel = "partial"     // connected, some essential apps answer, others do not
	VerdictMaintenance VerdictLevel = "maintenance" // connected; every essential app that does not answer is under announced maintenance
	VerdictFailed      VerdictLevel = "failed"      // the tunnel could not come up, or no essential app answers
)

// Verdict is the overall state of Mode urgence with what a sentence about
// it needs: how many essential apps answer, and which do not. It is
// computed once, by Judge, and carried in the Snapshot (so the recorded
// state says it too); front ends only put it into words (Message).
type Verdict struct {
	Level VerdictLevel `json:"level"`
	// EssentialsAnswering counts the essential apps that answer (ok or
	// degraded), of EssentialsTotal.
	EssentialsAnswering int `json:"essentials_answering"`
	EssentialsTotal     int `json:"essentials_total"`
	// Failing are the essential apps that do not answer (failed, blocked,
	// or not checked), Slow those that answer slowly, Others the
	// important and optional apps that are not ok: ids, in report order.
	Failing []string `json:"failing,omitempty"`
	Slow    []string `json:"slow,omitempty"`
	Others  []string `json:"others,omitempty"`
	// Maintenance are the essential apps that do not answer during their
	// announced maintenance window (StateMaintenance): planned, so
	// neither failing nor answering.
	Maintenance []string `json:"maintenance,omitempty"`
	// TunnelFailed: the tunnel could not come up (Snapshot.TunnelFailure).
	TunnelFailed bool `json:"tunnel_failed,omitempty"`
}

// Judge computes the verdict of a snapshot. It is a pure function of the
// snapshot: the same snapshot, read back from the store by another
// process, gets the same verdict.
func Judge(s Snapshot) Verdict {
	v := Verdict{TunnelFailed: s.TunnelFailure() != ""}
	if s.Stopped || (s.Started.IsZero() && s.Report == nil && !v.TunnelFailed && (s.Phase == "" || s.Phase == PhaseIdle)) {
		v.Level = VerdictOff
		return v
	}
	if s.Report == nil {
		switch {
		case v.TunnelFailed:
			v.Level = VerdictFailed
		case s.Phase == PhaseChecking || s.Tunnel.Up:
			v.Level = VerdictChecking
		default:
			v.Level = VerdictConnecting
		}
		return v
	}
	for _, a := range s.Report.Apps {
		if a.Criticality != "essential" {
			if a.State != StateOK {
				v.Others = append(v.Others, a.ID)
			}
			continue
		}
		v.EssentialsTotal++
		switch a.State {
		case StateOK:
			v.EssentialsAnswering++
		case StateDegraded:
			v.EssentialsAnswering++
			v.Slow = append(v.Slow, a.ID)
		case StateMaintenance:
			v.Maintenance = append(v.Maintenance, a.ID)
		default:
			v.Failing = append(v.Failing, a.ID)
		}
	}
	switch {
	case v.TunnelFailed:
		v.Level = VerdictFailed
	case v.EssentialsTotal == 0:
		v.Level = VerdictOperational
	case v.EssentialsAnswering == 0 && len(v.Failing) > 0:
		v.Level = VerdictFailed
	case len(v.Failing) > 0:
		v.Level = VerdictPartial
	case len(v.Maintenance) > 0:
		// Only planned maintenance stands between the person and "all
		// works": neither a failure nor "everything works".
		v.Level = VerdictMaintenance
	case len(v.Slow) > 0:
		v.Level = VerdictDegraded
	default:
		v.Level = VerdictOperational
	}
	return v
}

// VerdictOf is the verdict a snapshot carries, or Judge's when it carries
// none (a state recorded by an older Relais, a snapshot made by hand).
func VerdictOf(s Snapshot) Verdict {
	if s.Verdict.Level != "" {
		return s.Verdict
	}
	return Judge(s)
}

// Message is how a front end words v: a key of the verdict.* translations
// and its arguments. When n >= 0 the key has a plural form for n, chosen
// by the language's rules (i18n.N: key+".one" or key+".other"); otherwise
// it is used as is (i18n.T).
func (v Verdict) Message() (key string, n int, args []any) {
	switch v.Level {
	case VerdictOff:
		return "verdict.off", -1, nil
	case VerdictConnecting:
		return "verdict.connecting", -1, nil
	case VerdictChecking:
		return "verdict.checking", -1, nil
	case VerdictFailed:
		if v.TunnelFailed || v.EssentialsTotal == 0 {
			return "verdict.tunnel_failed", -1, nil
		}
		return "verdict.none_answering", v.EssentialsTotal, []any{v.EssentialsTotal}
	case VerdictPartial:
		return "verdict.partial", v.EssentialsAnswering, []any{v.EssentialsAnswering, v.EssentialsTotal}
	case VerdictMaintenance:
		if v.EssentialsAnswering == 0 {
			if len(v.Maintenance) == 1 {
				return "verdict.maintenance_all", 1, nil // "its essential application": no number
			}
			return "verdict.maintenance_all", len(v.Maintenance), []any{len(v.Maintenance)}
		}
		return "verdict.maintenance", len(v.Maintenance), []any{len(v.Maintenance)}
	case VerdictDegraded:
		return "verdict.slow", len(v.Slow), []any{len(v.Slow)}
	case VerdictOperational:
		switch {
		case v.EssentialsTotal == 0:
			return "verdict.connected", -1, nil
		case len(v.Others) > 0:
			return "verdict.essentials_ok", -1, nil
		}
		return "verdict.all_ok", -1, nil
	}
	return "verdict.unknown", -1, nil
}
