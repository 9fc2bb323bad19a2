//go:build !linux && !windows

package helper

import "context"

// Run is `relais helper`; system mode exists on Linux only for now.
func Run(context.Context, Options) error { return ErrUnsupported }
