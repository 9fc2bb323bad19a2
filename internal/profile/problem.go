package profile

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is what is wrong with one value of a profile, as a code and its arguments:
// front ends word it in the person's language (the CLI under profile.lint.<code>). The
// package itself only knows the English wording, which is Error's text, for logs, tests
// and programs that read the messages.
type Problem struct {
	Code string
	Args []any
}

// Word is an argument that is itself words, such as a TOML type ("an integer"): front
// ends translate it too (the CLI under profile.lint.word.<w>).
type Word string

// Choices is an argument listing the values one of which is expected ("http", "tcp",
// "dns", "tls"): front ends join them with their own "or".
type Choices []string

// Detail is an argument in English that only an English front end shows as is: a
// library's own words (go-toml's syntax errors) or notation explained in English. A
// front end in another language says its own profile.lint.<code>.detail instead.
type Detail string

func problem(code string, args ...any) Problem { return Problem{Code: code, Args: args} }

// ok reports whether p is no problem at all.
func (p Problem) ok() bool { return p.Code == "" }

// English returns the problem worded in English.
func (p Problem) English() string {
	format, known := englishProblems[p.Code]
	if !known {
		format = p.Code
	}
	if len(p.Args) == 0 {
		return format
	}
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		switch a := a.(type) {
		case Word:
			args[i] = englishWords[a]
		case Choices:
			args[i] = JoinChoices(a, "or")
		case Detail:
			args[i] = string(a)
		default:
			args[i] = a
		}
	}
	return fmt.Sprintf(format, args...)
}

// JoinChoices joins values as "a, b or c", with the given word for "or".
func JoinChoices(values []string, or string) string {
	if len(values) <= 1 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " " + or + " " + values[len(values)-1]
}

// ProblemCodes returns every code a Problem may carry, sorted, so that front ends can
// check they word them all.
func ProblemCodes() []string {
	codes := make([]string, 0, len(englishProblems))
	for c := range englishProblems {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// ProblemWords returns every Word an argument may be, sorted.
func ProblemWords() []Word {
	words := make([]Word, 0, len(englishWords))
	for w := range englishWords {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool { return words[i] < words[j] })
	return words
}

// EnglishProblem returns the English format (fmt verbs) of a code, "" if unknown: the
// front ends' English catalogue must say the same.
func EnglishProblem(code string) string { return englishProblems[code] }

// EnglishWord returns the English of a Word.
func EnglishWord(w Word) string { return englishWords[w] }

var englishProblems = map[string]string{
	// Values.
	"required":          "required",
	"empty":             "must not be empty",
	"one_of":            "must be %s",
	"via":               `must be "tunnel" or "direct"`,
	"language":          `must be "fr" or "en"`,
	"id_syntax":         "must match [a-z0-9][a-z0-9-]* (at most 64 characters)",
	"duplicate_id":      "duplicate %s id %q (first on line %d)",
	"date":              "must be a date or a date-time such as 2027-06-30T00:00:00Z",
	"duration":          "invalid duration %q (use for example 30s, 5m or 2h)",
	"duration_positive": "must be a duration greater than 0",
	"schema":            "unsupported schema %d, this version reads schema %d",
	"positive":          "must be greater than 0",
	"range":             "must be between %d and %d",
	"timeout_range":     "must be greater than 0 and at most 60s",
	"lower_case":        "must be lower case",
	// Schemes and URLs.
	"scheme_syntax":    "%q is not a valid URL scheme",
	"scheme_always":    "%q is always allowed, remove it",
	"scheme_forbidden": "scheme %q is never allowed",
	"scheme_drive":     "%q is a Windows drive letter, not a scheme",
	"link_unc":         "link %q is a network path to a file share, never allowed",
	"scheme_link":      "scheme %q is not allowed (http, https or allowed_schemes)",
	"scheme_target":    "scheme must be http or https",
	"url_https":        "must be an absolute https URL",
	"url_userinfo":     "must not contain a user name or password",
	"url_insecure":     "must use https (http only on a loopback host)",
	"url_invalid":      "invalid URL",
	"url_absolute":     "must be an absolute URL",
	"url_host":         "URL must have a host",
	// Network.
	"public_key":         "must be a base64 WireGuard public key (32 bytes)",
	"prefix":             "invalid prefix %q (use CIDR such as %s)",
	"ip":                 "invalid IP address %q",
	"dns_name_bad":       "invalid DNS name %q",
	"dns_name":           "must be a DNS name",
	"host_port":          "must be host:port",
	"host_empty":         "host must not be empty",
	"port_range":         "port must be between 1 and 65535",
	"host_invalid":       "invalid host %q",
	"duplicate_endpoint": "endpoint %q is already listed",
	"too_many_endpoints": "too many endpoints: %d, the limit is %d",
	"target_local":       "%q points to this computer or its local link, where a local service answers, not the organisation. If that is intended, add `allow_local = true` to this check",
	// Apps, checks, links, contacts, assets, helpdesk.
	"apps_none":       "at least one app is required",
	"too_many_apps":   "too many apps: %d, the limit is %d",
	"too_many_checks": "too many checks: %d, the limit is %d across all apps",
	"too_many_drills": "too many drills: %d, the limit is %d",
	"too_many_steps":  "too many steps: %d, the limit is %d",
	"too_many_assets": "too many assets: %d, the limit is %d",
	"reserved_id":     "%q is reserved for the built-in check",
	"self_require":    "an app cannot require itself",
	"unknown_app":     "unknown app %q",
	"checks_none":     "at least one check is required",
	"cycle":           "dependency cycle: %s",
	"contact_reach":   "needs a phone or an email",
	"phone":           "may contain only digits, spaces and + - ( ) .",
	"email":           "must be an email address",
	"asset_id":        `must match [A-Za-z0-9._-]+ without ".."`,
	"sha256":          "must be 64 lower-case hex digits",
	"unknown_asset":   "unknown asset %q",
	"age_secret":      "is an age secret key: publish its recipient (age1…) and replace the key",
	"age_recipient":   "must be an age X25519 recipient (age1…)",
	"notice_key":      "must be a minisign public key (RWQ…)",
	"grant_key":       "must be a minisign public key (RWQ…)",
	// Drills.
	"closes_after":    "must be after opens",
	"steps_none":      "at least one step is required",
	"action_required": "required for action steps",
	"action_only":     "only allowed on action steps",
	"checks_required": "required for check steps",
	"choices_only":    "only allowed on question steps",
	"unknown_check":   "unknown check %q",
	"unknown_link":    "unknown link %q",
	"action":          "must be tunnel_up, run_checks or open_link:<link id>",
	// Conditions.
	"cond_start":     "must start with a %s", // [PLACEHOLDER]: an argument, as it is syntax
	"cond_bracket":   "missing ] after the placeholder",
	"cond_empty":     "empty placeholder []",
	"cond_syntax":    "invalid placeholder %q (upper-case letters, digits and _)",
	"cond_operator":  "missing operator (==, !=, <, <=, >, >=)",
	"cond_value":     "missing value after %s",
	"cond_http_only": "%s only applies to http checks",
	"cond_tls_only":  "%s only applies to tls checks and https URLs",
	"cond_dns_only":  "%s only applies to dns checks",
	"cond_unknown":   "unknown placeholder %s",
	"cond_ordering":  "operator %s needs a number or a duration",
	"cond_status":    "%s needs an HTTP status code such as 200",
	"cond_ms":        "%s needs milliseconds such as 1500",
	"cond_duration":  "%s needs a duration such as 72h",
	"cond_bool":      "%s needs true or false",
	"cond_rcode":     "%s needs a response code such as NOERROR or NXDOMAIN",
	"cond_ip":        "%s needs an IP address or pat(...)",
	"cond_pattern":   "pat( needs a closing )",
	// The file itself.
	"unknown_key":   "unknown key",
	"duplicate_key": "key %s is already defined",
	"type_mismatch": "must be %s, not %s",
	"syntax":        "%s", // go-toml's own words, kept for English readers
	"more_errors":   "%d more errors not shown",
}

var englishWords = map[Word]string{
	// Kinds of ids (duplicate_id).
	"app": "app", "check": "check", "link": "link", "page": "page", "drill": "drill",
	"step": "step", "asset": "asset",
	// Types (type_mismatch).
	"t_array":          "an array",
	"t_text":           `a text { fr = "…", en = "…" }`,
	"t_string":         "a string",
	"t_integer":        "an integer",
	"t_float":          "a float",
	"t_boolean":        "a boolean",
	"t_datetime":       "a date-time",
	"t_local_datetime": "a local date-time",
	"t_local_date":     "a local date",
	"t_local_time":     "a local time",
	"t_table":          "a table",
	"t_inline_table":   "an inline table",
	"t_value":          "a value",
}
