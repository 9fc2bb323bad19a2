package backend

import (
	"context"
	"errors"
	"net"

	"relais/internal/frontend"
	"relais/internal/helper"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/store"
)

// reasons maps the sentinel errors of the packages below to a short code;
// each code has a sentence in both languages under "cli.reason.CODE". The
// code is also what the store records, so a later `profile show` can say
// why in the reader's language.
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

// ErrorCode names what went wrong, for people (a front end words
// cli.reason.CODE) and for the sync history.
func ErrorCode(err error) string {
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
	if len(frontend.ProfileErrors(err)) > 0 {
		return "invalid"
	}
	var he *profilesync.HTTPError
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

// IsFetchFailure tells a sync that could not reach its source (the
// network or the server failed) or keep what it got (the disk is full)
// from one whose content was refused.
func IsFetchFailure(err error) bool {
	switch ErrorCode(err) {
	case "http", "network", "timeout", "other", "disk_full", "corrupt":
		return true
	}
	return false
}

// HelperCodeKeys names the sentence for each of the system helper's error codes.
var HelperCodeKeys = map[helper.Code]string{
	helper.CodeForbidden:          "cli.helper.error.forbidden",
	helper.CodeBadRequest:         "cli.helper.error.bad_request",
	helper.CodeNoConfig:           "cli.helper.error.no_config",
	helper.CodeNoTrustedKeys:      "cli.helper.error.no_trusted_keys",
	helper.CodeUnsigned:           "cli.helper.error.unsigned",
	helper.CodeMalformedSignature: "cli.helper.error.malformed_signature",
	helper.CodeUntrustedKey:       "cli.helper.error.untrusted_key",
	helper.CodeBadSignature:       "cli.helper.error.bad_signature",
	helper.CodeInvalidProfile:     "cli.helper.error.invalid",
	helper.CodeTunnel:             "cli.helper.error.tunnel",
	helper.CodeNotUp:              "cli.helper.error.not_up",
	helper.CodeNotOwner:           "cli.helper.error.not_owner",
	helper.CodeNoDriver:           "cli.helper.error.no_driver",
	helper.CodeBusy:               "cli.helper.error.busy",
	helper.CodeRollback:           "cli.helper.error.rollback",
	helper.CodeExpired:            "cli.helper.error.expired",
	helper.CodeOtherOwner:         "cli.helper.error.other_owner",
	helper.CodeMarkUnreadable:     "cli.helper.error.mark_unreadable",
	helper.CodeNotRoot:            "cli.helper.error.not_root",
	helper.CodeAddressInUse:       "cli.helper.error.address_in_use",
	helper.CodeNoResolver:         "cli.helper.error.no_resolver",
	helper.CodeNoGrant:            "cli.helper.error.no_grant",
	helper.CodeBadGrant:           "cli.helper.error.bad_grant",
	helper.CodeGrantOtherDevice:   "cli.helper.error.grant_other_device",
	helper.CodeGrantAddresses:     "cli.helper.error.grant_addresses",
	helper.CodeGrantKey:           "cli.helper.error.grant_key",
}

// HelperReason is the sentence key for an error of the system helper (a
// profile it refused keeps the profile's own reason) and its detail.
func HelperReason(err error) (key, detail string, ok bool) {
	var he *helper.Error
	switch {
	case errors.As(err, &he):
		for _, r := range reasons {
			if errors.Is(err, r.err) {
				return "", "", false
			}
		}
		key, ok := HelperCodeKeys[he.Code]
		if !ok {
			key = "cli.helper.error.other"
		}
		return key, he.Message, true
	case errors.Is(err, helper.ErrNoHelper):
		return "cli.helper.error.no_helper", "", true
	}
	return "", "", false
}

// Coded is err as a front end words it: a *frontend.Error (or
// *frontend.IdentityError, or a profile's located problems, which front
// ends word themselves) as is; the system helper's refusal under its own
// key; anything else as its reason code (cli.reason.CODE) with its text
// as the detail.
func Coded(err error) error {
	if err == nil {
		return nil
	}
	var fe *frontend.Error
	var ie *frontend.IdentityError
	switch {
	case errors.As(err, &fe), errors.As(err, &ie), len(frontend.ProfileErrors(err)) > 0:
		return err
	}
	if key, detail, ok := HelperReason(err); ok {
		return &frontend.Error{Key: key, Detail: detail, Err: err}
	}
	return &frontend.Error{Key: "cli.reason." + ErrorCode(err), Detail: err.Error(), Err: err}
}

// ReasonCodes are the codes ErrorCode gives for the packages' sentinel
// errors (each has a sentence under cli.reason.CODE).
func ReasonCodes() []string {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.code
	}
	return codes
}
