// Package status holds the values Mode urgence reports: the tunnel's
// status, the checks' report, the engine's snapshot, events and verdict.
// Values and pure functions only: it never dials, reads a file or a store.
//
// The packages that do the work make these values (internal/tunnel the
// tunnel's status, internal/checks the report, internal/engine the
// snapshot and its events) and keep aliases of them; front ends and the
// contract between them and the backend (internal/frontend) name them
// here, so that they depend on no package that does I/O.
//
// It imports nothing of Relais but internal/profile (the texts of a
// reason, an app's name), and puts nothing into words for people beyond
// the reasons' texts it carries: front ends do (Verdict.Message names
// their sentence).
//
// The files: tunnel.go (the tunnel's status), report.go (the checks'
// results and report), reason.go (the reason codes), snapshot.go (the
// engine's snapshot, phases, events and timeline), verdict.go (the overall
// state and its sentence key), tunnelfailure.go (why a tunnel could not
// come up).
package status
