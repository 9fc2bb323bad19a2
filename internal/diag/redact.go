package diag

import "relais/internal/redact"

// Redact returns text without the secrets internal/redact knows how to
// find (keys, tokens, passwords, credentials in URLs and headers) nor any
// of secrets, for front ends that show the app's log outside a bundle.
func Redact(text string, secrets ...string) string {
	return redact.Text(text, secrets...)
}
