package backend

import (
	"errors"

	"relais/internal/config"
)

// HasManagedConfig reports whether this computer has a managed
// configuration (a damaged one counts: its own error says what to fix),
// so that a front end points at the demo rather than at a command that
// needs one.
func (e Env) HasManagedConfig() bool {
	_, err := config.LoadManaged(config.ManagedPath(e.filled().ConfigEnv()))
	return !errors.Is(err, config.ErrNoManaged)
}

// ManagedPath is where the managed configuration is read from.
func (e Env) ManagedPath() string { return config.ManagedPath(e.filled().ConfigEnv()) }
