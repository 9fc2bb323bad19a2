// Package redact is the one place that removes secrets from text and URLs
// before they are stored, logged or put in a bundle.
//
//   - URL: a URL fit to store or log — its password and the values of
//     query parameters named like secrets (token, api_key, sig…) replaced
//     by "xxxxx"; the user name, host and path kept; anything that is not
//     a URL with a scheme (a file path) returned unchanged.
//   - Target, URLIn: a probed target fit to show, and an error text that
//     quotes it — no user information and no query string at all.
//   - Text, New: free text (logs, configuration files, error messages)
//     without known secrets in any encoding nor what the patterns find
//     (WireGuard, age, minisign and PEM keys, bearer tokens, credential
//     headers, URL user information, name = value after a secret-ish
//     name). A Redactor counts what it removed, for diag's manifest.
//   - MapLines: the line-by-line walk Text uses (f on every line, no
//     allocation when nothing changes), for diag's anonymiser too.
//
// Redaction never fails and never panics; when in doubt it removes.
// It never imports another package of the module.
package redact
