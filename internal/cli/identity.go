package cli

import (
	"errors"
	"fmt"

	"relais/internal/backend"
	"relais/internal/secrets"
)

// describeIdentity turns an error of the identity (the device's tunnel
// configuration, the key commands) into a sentence saying what to do, in
// the invocation's language; other errors go to describe.
func (r *run) describeIdentity(err error) string {
	return r.words(backend.IdentityProblem(r.GOOS, err))
}

// identityFail prints an identity error as a sentence and returns its exit
// code: a missing keyring or identity is the environment (2), a key that is
// missing or does not match is an unhealthy identity (1).
func (r *run) identityFail(err error) int {
	fmt.Fprintln(r.Stderr, r.describeIdentity(err))
	switch {
	case errors.Is(err, backend.ErrKeyMismatch), errors.Is(err, secrets.ErrNoKey):
		return ExitUnhealthy
	}
	return ExitUsage
}
