package office

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// ReportsPath is where the office receives drill reports (the profile's
// helpdesk.report_url), on the same loopback server as the profile.
const ReportsPath = "/relais/reports"

// MaxReport bounds a report's body; a larger one is refused with 413.
const MaxReport = 1 << 20

// received is one distinct report, by Idempotency-Key.
type received struct {
	body    []byte
	receipt []byte // the answer, the same for every repeat
}

// receiveReport is the continuity coordinator's receiver, as a real one
// should behave: each Idempotency-Key is kept once; the first request gets
// 201 and a receipt, a repeat with the same body 200 and the same receipt,
// a repeat with another body 422 (the key was reused for something else).
func (o *Office) receiveReport(w http.ResponseWriter, r *http.Request) {
	o.reportsMu.Lock()
	o.reportRequests++
	down := o.reportsDown
	o.reportsMu.Unlock()

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if down {
		http.Error(w, "the receiver is down (demo)", http.StatusServiceUnavailable)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		http.Error(w, "an Idempotency-Key header is required", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReport))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "report too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "could not read the report", http.StatusBadRequest)
		return
	}

	o.reportsMu.Lock()
	prev, seen := o.reports[key]
	if !seen {
		receipt, _ := json.Marshal(struct {
			Key      string    `json:"key"`
			Received time.Time `json:"received"`
			Bytes    int       `json:"bytes"`
		}{key, time.Now().UTC(), len(body)})
		prev = &received{body: body, receipt: append(receipt, '\n')}
		o.reports[key] = prev
		o.reportOrder = append(o.reportOrder, key)
	}
	o.reportsMu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	switch {
	case !seen:
		w.WriteHeader(http.StatusCreated)
	case bytes.Equal(prev.body, body):
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "this Idempotency-Key was used for another report", http.StatusUnprocessableEntity)
		return
	}
	w.Write(prev.receipt)
}

// Reports returns the distinct reports received, in the order they first
// arrived.
func (o *Office) Reports() [][]byte {
	o.reportsMu.Lock()
	defer o.reportsMu.Unlock()
	out := make([][]byte, len(o.reportOrder))
	for i, k := range o.reportOrder {
		out[i] = bytes.Clone(o.reports[k].body)
	}
	return out
}

// ReportRequests counts the requests the report receiver got, repeats and
// refusals included.
func (o *Office) ReportRequests() int {
	o.reportsMu.Lock()
	defer o.reportsMu.Unlock()
	return o.reportRequests
}

// SetReportsDown makes the report receiver answer 503 (down) or work again,
// to show and test delivery that waits for the network.
func (o *Office) SetReportsDown(down bool) {
	o.reportsMu.Lock()
	o.reportsDown = down
	o.reportsMu.Unlock()
}
