package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"

	"relais/internal/helper"
	"relais/internal/i18n"

	"relais/internal/profile"
	"relais/internal/store"
)

// reasons maps the sentinel errors of the packages below to a short code;
// each code has a sentence in both languages under "cli.reason.CODE". The
// code is also what the store records, so a later `profile show` can say why
// in the reader's language.
var reasons = []struct {
	err  error
	code string
}{
	{profile.ErrUnsigned, "unsigned"},
	{profile.ErrSignatureMalformed, "malformed_signature"},
	{profile.ErrUntrustedKey, "untrusted_key"},
	{profile.ErrBadSignature, "bad_signature"},
	{profile.ErrNoTrustedKeys, "no_trusted_keys"},
	{profile.ErrRollback, "rollback"},
	{profile.ErrExpired, "expired"},
	{profile.ErrAssetsTooLarge, "assets_too_large"}, // before ErrTooLarge: it matches both
	{profile.ErrTooLarge, "too_large"},
	{profile.ErrAssetMismatch, "asset_mismatch"},
	{profile.ErrInsecureURL, "insecure_url"},
	{profile.ErrLocalRedirect, "local_redirect"},
	{context.DeadlineExceeded, "timeout"},
}

// errorCode names what went wrong, for people (through describe) and for
// the sync history.
func errorCode(err error) string {
	// The local store's own troubles come first: a profile that could not
	// be written on a full disk was not refused.
	switch {
	case store.IsDiskFull(err):
		return "disk_full"
	case store.IsCorrupt(err):
		return "corrupt"
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	if len(profileErrors(err)) > 0 {
		return "invalid"
	}
	var he *profile.HTTPError
	if errors.As(err, &he) {
		return "http"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return "timeout"
		}
		return "network"
	}
	return "other"
}

// isFetchFailure tells a sync that could not reach its source (the network
// or the server failed) or keep what it got (the disk is full) from one
// whose content was refused.
func isFetchFailure(err error) bool {
	switch errorCode(err) {
	case "http", "network", "timeout", "other", "disk_full", "corrupt":
		return true
	}
	return false
}

// describe turns an error into one sentence in the invocation's language,
// followed by the technical detail the helpdesk needs.
func (r *run) describe(err error) string {
	// The system helper's refusals have their own sentences (with the
	// app's words in the app); its English message is the detail.
	if key, detail, ok := helperReason(err); ok {
		text := r.t(key)
		if detail != "" {
			text += " " + r.t("cli.reason.detail", detail)
		}
		r.lastReason = &reasonSaid{code: strings.TrimPrefix(key, "cli.helper.error."), detail: detail, text: text, key: key}
		return text
	}
	detail := err.Error()
	if list := profileErrors(err); len(list) > 0 {
		detail = profileLines(r.lang, list) // a refused profile's problems, worded
	}
	return r.reason(errorCode(err), detail)
}

func (r *run) reason(code, detail string) string {
	r.lastReason = &reasonSaid{code: code, detail: detail, text: reasonIn(r.lang, code, detail)}
	return r.lastReason.text
}

// reasonSaid is the last reason worded, so that a --json error document
// words it again in each language.
type reasonSaid struct{ code, detail, text, key string }

// helperReason is the sentence key for an error of the system helper (a
// profile it refused keeps the profile's own reason) and its detail.
func helperReason(err error) (key, detail string, ok bool) {
	var he *helper.Error
	switch {
	case errors.As(err, &he):
		for _, r := range reasons {
			if errors.Is(err, r.err) {
				return "", "", false
			}
		}
		key, ok := helperCodeKeys[he.Code]
		if !ok {
			key = "cli.helper.error.other"
		}
		return key, he.Message, true
	case errors.Is(err, helper.ErrNoHelper):
		return "cli.helper.error.no_helper", "", true
	}
	return "", "", false
}

// storedReason is the detail of err as the store keeps it for a sync
// attempt, to be worded again in whichever language reads it later: a
// refused profile's problems worded in both languages ({"fr","en"}, from
// their codes), any other error as its technical text (said under
// "détail", which is a log's words).
func storedReason(err error) string {
	list := profileErrors(err)
	if len(list) == 0 {
		return err.Error()
	}
	b, jerr := json.Marshal(textJSON{FR: profileLines(i18n.FR, list), EN: profileLines(i18n.EN, list)})
	if jerr != nil {
		return err.Error()
	}
	return string(b)
}

// reasonDetail reads back what storedReason kept, in lang. A reason
// recorded before the words were kept in both languages is its text.
func reasonDetail(lang, stored string) string {
	var t textJSON
	if strings.HasPrefix(stored, "{") && json.Unmarshal([]byte(stored), &t) == nil && t.FR != "" && t.EN != "" {
		return t.In(lang)
	}
	return stored
}

func reasonIn(lang, code, detail string) string {
	return reasonKeyIn(lang, "cli.reason."+code, detail)
}

func reasonKeyIn(lang, key, detail string) string {
	msg := i18n.T(lang, key)
	if detail == "" {
		return msg
	}
	return msg + " " + i18n.T(lang, "cli.reason.detail", detail)
}
