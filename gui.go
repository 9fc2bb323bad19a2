//go:build !nogui

// The build with the window: the default, or `-tags gui`.

package main

import (
	"context"

	"relais/app"
	"relais/internal/backend"
	"relais/internal/frontend"
)

// hasWindow: relais without a command opens the app.
const hasWindow = true

// prepare must be the first call of main (see app.Prepare).
func prepare() { app.Prepare() }

// runWindow opens the app, on the demo office when demo is set, and
// returns its exit code.
func runWindow(demo bool) int {
	env := backend.OSEnv()
	return app.Run(func(lang string) (frontend.Backend, error) {
		return backend.Open(context.Background(), backend.Options{Env: env, Lang: lang, Demo: demo})
	}, func() (frontend.Single, error) { return backend.ClaimApp(env) })
}
