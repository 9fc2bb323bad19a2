// Package backend is Relais's one backend: the state and the policies that
// every front end shares (the desktop app, each `relais` command). It is
// being built up step by step (issue 15); its first inhabitant is the one
// profile policy, ProfilePolicy: where this machine's profile comes from
// (the managed profile_url, then the bootstrap profile_file, the fallback),
// when a newer bootstrap file is adopted, and the cached profile parsed
// once per change.
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
