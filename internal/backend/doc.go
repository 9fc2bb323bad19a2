// Package backend is Relais's one backend: the state and the policies that
// every front end shares (the desktop app, each `relais` command), as
// Tailscale's LocalBackend is for its CLI and tray.
//
//   - Open gives Local, the desktop app's frontend.Backend, which the
//     drill and diag commands share: Mode urgence (one Session at a
//     time), the profile in use, settings, the device identity, links,
//     drills and their outbox, diagnostics, the demo office started when
//     Mode urgence needs it.
//   - Machine is this computer, opened once per process: the managed
//     configuration, its trusted keys and the user's store.
//   - ProfilePolicy is the one place that decides where the profile comes
//     from (the managed profile_url, then the bootstrap profile_file),
//     when a newer bootstrap file is adopted, and parses the cached
//     profile once per change.
//   - Machine.NewEngine is the only engine constructor; Session is the one
//     lifecycle of a Mode urgence (tunnel lock, engine, live record,
//     teardown), for the app and `relais up`.
//   - The live record (live.go) is what the process holding the tunnel
//     records for the others: one table, one reader, one staleness rule.
//
// Errors are *frontend.Error codes (Coded turns any error into one), or
// *frontend.IdentityError for the identity; notes for a person go to
// Env.Notify, coded too.
//
// What backend must never do:
//   - print, or word anything a person reads: it returns values and errors
//     that carry their cause (errors.Is/As against the profile and store
//     sentinels, or the ones declared here); front ends word them;
//   - return exit codes: that is the terminal's business (internal/cli);
//   - import internal/cli or the app: they are its clients.
//
// Every dependency a test replaces (HTTP client, clock, log) is a field.
package backend
