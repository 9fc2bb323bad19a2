package backend

import (
	"context"
	"errors"
	"time"

	"relais/internal/frontend"
)

// WaitDelivery waits, at most wait or until ctx ends, for a run's report
// to be settled: delivered, refused for good, or never queued (the
// profile names no receiver). It returns where the delivery then stands:
// still pending when the wait ran out (the outbox keeps trying, across
// restarts).
func (d *Local) WaitDelivery(ctx context.Context, runID string, wait time.Duration) frontend.Delivery {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		del := d.Delivery(runID)
		if del.State != frontend.DeliveryPending {
			return del
		}
		select {
		case <-ctx.Done():
			return del
		case <-timer.C:
			return d.Delivery(runID)
		case <-time.After(drillPoll):
		}
	}
}

// Codes of a delivery's problem, for a document (DeliveryProblem).
const (
	DeliveryProblemHTTPStatus  = "http_status" // the receiver answered an error status
	DeliveryProblemUnreachable = "unreachable" // no answer: the network, the name, TLS…
)

// DeliveryProblem is why the last attempt at a delivery failed: its code
// (DeliveryProblemHTTPStatus or DeliveryProblemUnreachable) and the coded
// error that says it; nil when the delivery has no problem.
func DeliveryProblem(del frontend.Delivery) (string, *frontend.Error) {
	var fe *frontend.Error
	if !errors.As(del.Problem, &fe) {
		return "", nil
	}
	if fe.Key == "cli.drill.delivery_status" {
		return DeliveryProblemHTTPStatus, fe
	}
	return DeliveryProblemUnreachable, fe
}
