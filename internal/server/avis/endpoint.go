package avis

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"relais/internal/server/db"
)

// Paths of the public document, what every laptop fetches (the profile's
// [notices] url): no login, the signature is what laptops trust.
const (
	PathDocument  = "/v1/notices.json"
	PathSignature = PathDocument + ".minisig"
)

// endpointTimeout bounds one request's database work.
const endpointTimeout = 5 * time.Second

// Endpoint serves the latest published document at PathDocument and its
// signature at PathSignature, with conditional GET (ETag: the document's
// SHA-256; Last-Modified: its issued_at) and Cache-Control: no-cache, so
// laptops ask every time and mostly get 304. When enabled is false (no
// notice_key_file) both answer 404, as when nothing was published yet.
func Endpoint(d *db.DB, enabled bool, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		sig := r.URL.Path == PathSignature
		if !enabled || (!sig && r.URL.Path != PathDocument) {
			http.Error(w, "no notices are published here", http.StatusNotFound)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), endpointTimeout)
		defer cancel()
		doc, err := d.LatestNoticeDocument(ctx)
		switch {
		case errors.Is(err, db.ErrNotFound):
			http.Error(w, "no notices are published yet", http.StatusNotFound)
			return
		case err != nil:
			log.Warn("notices", "err", err.Error())
			w.Header().Set("Retry-After", "5")
			http.Error(w, "the database did not answer; retry later", http.StatusServiceUnavailable)
			return
		}
		// Validators: http.ServeContent answers If-None-Match (then
		// If-Modified-Since) with 304.
		body, etag, ctype := doc.Body, `"`+doc.SHA256+`"`, "application/json"
		if sig {
			// The signature of that document: its own validator.
			body, etag, ctype = doc.Signature, `"`+doc.SHA256+`-minisig"`, "text/plain; charset=utf-8"
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Notices-Serial", strconv.FormatInt(doc.Serial, 10))
		http.ServeContent(w, r, "", doc.IssuedAt, bytes.NewReader(body))
	})
}
