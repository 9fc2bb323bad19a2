package cli

import (
	"errors"
	"strings"

	"relais/internal/backend"
	"relais/internal/frontend"
)

// describe turns an error into one sentence in the invocation's language,
// followed by the technical detail the helpdesk needs.
func (r *run) describe(err error) string {
	var fe *frontend.Error
	if errors.As(err, &fe) {
		return r.words(err)
	}
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

// The words shared with the app (internal/frontend).
var (
	errorCode     = backend.ErrorCode
	helperReason  = backend.HelperReason
	profileErrors = frontend.ProfileErrors
	profileLine   = frontend.ProfileLine
	profileLines  = frontend.ProfileLines
	reasonDetail  = frontend.DetailIn
	reasonIn      = frontend.ReasonIn
	reasonKeyIn   = frontend.ReasonKeyIn
)
