package cli

import (
	"context"
	"errors"
	"fmt"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/i18n"
)

// The terminal as a client of the backend: its environment handed on, its
// coded errors and notes worded here, in the invocation's language.

// backendEnv is the backend's view of this invocation: what it notes for
// the person goes to stderr, worded.
func (r *run) backendEnv() backend.Env {
	env := r.Env.Env
	env.Notify = func(e *frontend.Error) { fmt.Fprintln(r.Stderr, r.words(e)) }
	return env
}

// openMachine loads the managed configuration and opens the store; on
// failure it has printed why and returns the exit code.
func (r *run) openMachine(needManaged bool) (*backend.Machine, int) {
	m, err := backend.OpenMachine(r.backendEnv(), needManaged)
	if err != nil {
		return nil, r.failErr(ExitUsage, err)
	}
	return m, ExitOK
}

// openBackend opens the backend for a command that shares the app's state
// (relais drill, relais diag). In the demo, the office starts only if Mode
// urgence needs it, or, with needProfile, to fetch the demo profile the
// first time (none is cached yet). nil after saying why.
func (r *run) openBackend(ctx context.Context, needProfile bool) *backend.Local {
	b, err := backend.Open(ctx, backend.Options{Env: r.backendEnv(), Lang: r.lang, DemoOnStart: !needProfile})
	if err != nil {
		r.failErr(ExitUsage, err)
		return nil
	}
	return b
}

// words says err (a coded error of the backend, or any other) in the
// invocation's language.
func (r *run) words(err error) string { return frontend.Words(r.lang, err, r.t, r.describe) }

// wordsIn says err in lang, for the --json error document's two texts.
func wordsIn(lang string, err error) string {
	r := &run{lang: lang}
	return frontend.Words(lang, err, func(key string, args ...any) string { return i18n.T(lang, key, args...) }, r.describe)
}

// failErr prints err for a person and returns the exit code, as fail does
// for a message key: a coded error keeps its key for the --json document.
func (r *run) failErr(code int, err error) int {
	var fe *frontend.Error
	if errors.As(err, &fe) && needsConfig[fe.Key] && !r.hasManagedConfig() {
		return r.fail(code, fe.Key)
	}
	fmt.Fprintln(r.Stderr, r.words(err))
	key := "cli.error.failed"
	if fe != nil {
		key = fe.Key
	}
	r.failed = &failure{key: key, err: err, reason: r.lastReason}
	return code
}
