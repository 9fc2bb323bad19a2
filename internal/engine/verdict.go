package engine

import "relais/internal/status"

// VerdictLevel is the overall state of Mode urgence, as every front end
// words it (a value of package status).
type VerdictLevel = status.VerdictLevel

// Verdict levels.
const (
	VerdictOff         = status.VerdictOff
	VerdictConnecting  = status.VerdictConnecting
	VerdictChecking    = status.VerdictChecking
	VerdictOperational = status.VerdictOperational
	VerdictDegraded    = status.VerdictDegraded
	VerdictPartial     = status.VerdictPartial
	VerdictFailed      = status.VerdictFailed
)

// Verdict is the overall state of Mode urgence with what a sentence about
// it needs (a value of package status; Message words it).
type Verdict = status.Verdict

// Judge computes the verdict of a snapshot (status.Judge).
func Judge(s Snapshot) Verdict { return status.Judge(s) }

// VerdictOf is the verdict a snapshot carries, or Judge's when it carries
// none (status.VerdictOf).
func VerdictOf(s Snapshot) Verdict { return status.VerdictOf(s) }
