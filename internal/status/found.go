package status

// FoundVerdict is the verdict of a finished run of the checks (`relais
// check`, `relais demo --headless`): what the run found, with the tunnel
// as it was at the report (TunnelAtReport). The session has ended by the
// time it is said, and "Mode urgence is off" would contradict the report
// it comes with.
func FoundVerdict(s Snapshot) Verdict {
	s.Stopped, s.Tunnel, s.Verdict = false, s.TunnelAtReport, Verdict{}
	return Judge(s)
}
