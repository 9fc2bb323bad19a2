package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"relais/internal/frontend"
)

// The words of the Diagnostic tab: sizes and deliveries.

// sizeWords says a file's size: "512 octets", "48,2 Ko", "1,3 Mo".
func sizeWords(l string, n int64) string {
	num := func(f float64) string {
		s := fmt.Sprintf("%.1f", f)
		if l == "fr" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	switch {
	case n < 1024:
		return tr("app.diag.size.bytes", n)
	case n < 1024*1024:
		return tr("app.diag.size.kb", num(float64(n)/1024))
	}
	return tr("app.diag.size.mb", num(float64(n)/(1024*1024)))
}

// diagDeliveryWords says where the upload of a bundle stands.
func diagDeliveryWords(now time.Time, d frontend.Delivery) string {
	switch d.State {
	case frontend.DeliveryPending:
		s := tr("app.diag.delivery.pending")
		if d.Attempts > 0 {
			s = tr("app.diag.delivery.pending_attempts", d.Attempts)
		}
		if d.Problem != nil {
			s += " " + tr("app.diag.delivery.last_problem", problemSentence(d.Problem))
		}
		return s
	case frontend.DeliveryDelivered:
		if d.Delivered.IsZero() {
			return tr("app.diag.delivery.delivered")
		}
		return tr("app.diag.delivery.delivered_at", longDate(now, d.Delivered))
	case frontend.DeliveryRejected:
		if d.Problem != nil {
			return tr("app.diag.delivery.rejected_why", problemSentence(d.Problem))
		}
		return tr("app.diag.delivery.rejected")
	}
	return tr("app.diag.delivery.none")
}

func deliveryImportance(state string) widget.Importance {
	switch state {
	case frontend.DeliveryDelivered:
		return widget.SuccessImportance
	case frontend.DeliveryRejected:
		return widget.DangerImportance
	}
	return widget.MediumImportance
}
