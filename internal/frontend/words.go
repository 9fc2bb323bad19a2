package frontend

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"relais/internal/i18n"
	"relais/internal/profile"
)

// The words both front ends share for what the backend reports: a
// profile's located problems, a coded reason with its detail. They are
// pure (the catalogue is embedded): no I/O, no state.

// ProfileErrors flattens a profile.Parse error into its located errors;
// nil when err is none.
func ProfileErrors(err error) []*profile.Error {
	var list profile.ErrorList
	if errors.As(err, &list) {
		return list
	}
	var one *profile.Error
	if errors.As(err, &one) {
		return []*profile.Error{one}
	}
	return nil
}

// ProfileLine words one located problem in lang as FILE:LINE: path:
// message: the location and the path are syntax, the message is words.
func ProfileLine(lang string, e *profile.Error) string {
	loc := e.File + ":" + strconv.Itoa(e.Line) + ": "
	if e.Path != "" {
		loc += e.Path + ": "
	}
	return loc + ProfileProblem(lang, e.Problem(), e.Msg)
}

// ProfileLines words every located problem, one a line.
func ProfileLines(lang string, list []*profile.Error) string {
	lines := make([]string, len(list))
	for i, e := range list {
		lines[i] = ProfileLine(lang, e)
	}
	return strings.Join(lines, "\n")
}

// ProfileProblem words a profile problem under profile.lint.<code>; its
// Word arguments are words too, its Choices are joined with the language's
// "or", and its English Detail is said in other languages by
// <code>.detail. A code no catalogue words (none should) falls back to
// english.
func ProfileProblem(lang string, p profile.Problem, english string) string {
	key := "profile.lint." + p.Code
	if c, err := i18n.Catalog(lang); err != nil || c[key] == "" {
		return english
	}
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		switch a := a.(type) {
		case profile.Word:
			args[i] = i18n.T(lang, "profile.lint.word."+string(a))
		case profile.Choices:
			args[i] = profile.JoinChoices(a, i18n.T(lang, "profile.lint.or"))
		case profile.Detail:
			if i18n.Normalize(lang) == i18n.EN {
				args[i] = string(a)
			} else {
				args[i] = i18n.T(lang, key+".detail")
			}
		default:
			args[i] = a
		}
	}
	return i18n.T(lang, key, args...)
}

// ReasonIn words a reason code (cli.reason.CODE) in lang, followed by its
// technical detail, if any, under "Détails".
func ReasonIn(lang, code, detail string) string {
	return ReasonKeyIn(lang, "cli.reason."+code, detail)
}

// ReasonKeyIn is ReasonIn for a message key.
func ReasonKeyIn(lang, key, detail string) string {
	msg := i18n.T(lang, key)
	if detail == "" {
		return msg
	}
	return msg + " " + i18n.T(lang, "cli.reason.detail", detail)
}

// BothLanguages is a text kept in French and English, as the store keeps
// a refused profile's problems.
type BothLanguages struct {
	FR string `json:"fr"`
	EN string `json:"en"`
}

// StoredDetail is err's detail as the store keeps it for a sync attempt,
// to be worded again in whichever language reads it later: a refused
// profile's problems in both languages (JSON {"fr","en"}), any other error
// as its technical text (said under "Détails", which is a log's words).
func StoredDetail(err error) string {
	list := ProfileErrors(err)
	if len(list) == 0 {
		return err.Error()
	}
	b, jerr := json.Marshal(BothLanguages{FR: ProfileLines(i18n.FR, list), EN: ProfileLines(i18n.EN, list)})
	if jerr != nil {
		return err.Error()
	}
	return string(b)
}

// DetailIn reads back what StoredDetail kept, in lang. A detail recorded
// before the words were kept in both languages is its text.
func DetailIn(lang, stored string) string {
	var t BothLanguages
	if strings.HasPrefix(stored, "{") && json.Unmarshal([]byte(stored), &t) == nil && t.FR != "" && t.EN != "" {
		if i18n.Normalize(lang) == i18n.EN {
			return t.EN
		}
		return t.FR
	}
	return stored
}

// Describe words any error in lang with the catalogue: an *Error as Words
// does; a profile's located problems under cli.reason.invalid, one a
// line; anything else as cli.reason.other with its text as the detail.
// Front ends that know more (the terminal's reasons) pass their own
// describe to Words instead.
func Describe(lang string, err error) string {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	describe := func(err error) string {
		if list := ProfileErrors(err); len(list) > 0 {
			return ReasonIn(lang, "invalid", ProfileLines(lang, list))
		}
		return ReasonIn(lang, "other", err.Error())
	}
	return Words(lang, err, t, describe)
}
