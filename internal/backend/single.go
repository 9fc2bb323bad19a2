package backend

import (
	"errors"

	"relais/internal/config"
	"relais/internal/frontend"
	"relais/internal/instance"
)

// ClaimApp makes this process the one desktop app of the user (of its data
// directory), or hands over to the one running, whose window comes
// forward (frontend.Claim).
func ClaimApp(env Env) (frontend.Single, error) {
	env = env.filled()
	dir, err := config.DataDir(env.ConfigEnv())
	if err != nil {
		return nil, nil
	}
	inst, err := instance.Acquire(dir)
	var na *instance.NoAnswerError
	switch {
	case err == nil:
		return inst, nil
	case errors.Is(err, instance.ErrHandedOver):
		return nil, frontend.Wrap(err, frontend.ErrKeyHandedOver)
	case errors.As(err, &na):
		return nil, frontend.Wrap(err, frontend.ErrKeyNoAnswer, na.PID)
	}
	return nil, nil
}
