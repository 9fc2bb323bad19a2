package profile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// utf8BOM is the UTF-8 byte-order mark.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse decodes a profile strictly and validates all of it. name is the file name used in
// error messages ("profile.toml").
//
// On failure it returns an ErrorList with every problem found (up to MaxErrors), sorted by
// line, or an error wrapping ErrTooLarge. A TOML syntax or type error stops the decoder, so
// it is reported alone; unknown keys and semantic problems are all reported together.
func Parse(name string, data []byte) (*Profile, error) {
	if len(data) > MaxProfileSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, name, len(data), MaxProfileSize)
	}

	// A UTF-8 byte-order mark (Windows editors write one) is not part of the TOML: it is
	// skipped for the parse, while the signature and the hash stay over the exact bytes.
	raw := data
	data = bytes.TrimPrefix(data, utf8BOM)

	// The index comes first: it finds syntax errors and unknown keys in one linear pass.
	// go-toml's decoder is quadratic in the number of keys of one table, and its strict
	// mode rescans the whole document for each unknown key; only unknown keys can make
	// either large, so a file with more of them than can be shown is not decoded at all.
	ps := indexPositions(data)
	if ps.syntax != nil {
		return nil, ErrorList{syntaxError(name, data, ps)}
	}
	var errs []*Error
	seen := make(map[string]bool)
	unknown := func(line int, path string) {
		if k := strconv.Itoa(line) + ":" + path; !seen[k] {
			seen[k] = true
			errs = append(errs, newError(name, line, path, problem("unknown_key")))
		}
	}
	for _, u := range ps.unknown {
		unknown(ps.lineAt(u.off), u.path)
	}
	if len(ps.unknown) > MaxErrors {
		return nil, sortErrors(errs)
	}

	var p Profile
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&p); err != nil {
		var strict *toml.StrictMissingError
		var decode *toml.DecodeError
		switch {
		case errors.As(err, &strict):
			// The decoder went through the whole document: go on validating what it
			// understood. Its unknown keys are the index's, which are already reported;
			// any it finds beyond them still are.
			for i := range strict.Errors {
				line, col := strict.Errors[i].Position()
				unknown(max(line, 1), ps.pathFor(line, col, strict.Errors[i].Key()))
			}
		case errors.As(err, &decode):
			return nil, ErrorList{decodeError(name, ps, decode)}
		default:
			return nil, ErrorList{newError(name, 1, "", problem("syntax", Detail(strings.TrimPrefix(err.Error(), "toml: "))))}
		}
	}

	v := validator{file: name, ps: ps}
	if v.schema(&p) {
		v.profile(&p)
	} else {
		// Another schema means another program wrote it for another version of Relais:
		// everything else would be noise.
		errs = nil
	}
	errs = append(errs, v.errs...)
	if len(errs) > 0 {
		return nil, sortErrors(errs)
	}

	sum := sha256.Sum256(raw)
	p.SHA256 = hex.EncodeToString(sum[:])
	p.applyDefaults(ps)
	return &p, nil
}

// applyDefaults fills what the file left out, so that callers never repeat the defaults.
func (p *Profile) applyDefaults(ps *positions) {
	if p.DefaultLanguage == "" {
		p.DefaultLanguage = DefaultLanguage
	}
	if !ps.has("tunnel.mtu") {
		p.Tunnel.MTU = DefaultMTU
	}
	for i := range p.Apps {
		for j := range p.Apps[i].Checks {
			c := &p.Apps[i].Checks[j]
			if c.Via == "" {
				c.Via = DefaultVia
			}
			if c.Timeout == "" {
				c.Timeout = Duration(DefaultTimeout.String())
			}
		}
	}
	for i := range p.Links {
		if p.Links[i].Via == "" {
			p.Links[i].Via = DefaultVia
		}
	}
}

// sortErrors orders errors by line then path, keeping the validator's order for equal
// keys, and caps the list.
func sortErrors(errs []*Error) ErrorList {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Path < errs[j].Path
	})
	if len(errs) > MaxErrors {
		rest := len(errs) - (MaxErrors - 1)
		next := errs[MaxErrors-1]
		errs = append(errs[:MaxErrors-1:MaxErrors-1], newError(next.File, next.Line, "", problem("more_errors", rest)))
	}
	return ErrorList(errs)
}

// mismatch recognises go-toml's type errors, to say them in the profile's terms rather than
// in Go's ("must be an integer, not a string" instead of "into struct field … int64").
var mismatch = regexp.MustCompile(`^cannot decode TOML (.+?) into (?:struct field \S+ of type )?(\S+)$`)

// redefined recognises go-toml's error for a key given twice.
var redefined = regexp.MustCompile(`^key (.+) is already defined$`)

// decodeError turns an error that stopped the decoder into an Error. Syntax errors carry no
// key and keep go-toml's text; type errors get a path and a plainer message.
func decodeError(name string, ps *positions, de *toml.DecodeError) *Error {
	line, col := de.Position()
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	key := de.Key()
	if len(key) == 0 {
		return newError(name, max(line, 1), "", problem("syntax", Detail(msg)))
	}
	path := ps.pathFor(line, col, key)
	pr := problem("syntax", Detail(msg))
	if m := mismatch.FindStringSubmatch(msg); m != nil {
		pr = problem("type_mismatch", goTypeWord(m[2]), tomlKindWord(m[1]))
	} else if m := redefined.FindStringSubmatch(msg); m != nil {
		pr = problem("duplicate_key", m[1])
	}
	return newError(name, max(line, 1), path, pr)
}

func goTypeWord(t string) Word {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "t_array"
	case t == "profile.Text":
		return "t_text"
	case t == "string" || t == "profile.Duration":
		return "t_string"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "t_integer"
	case t == "bool" || t == "*bool":
		return "t_boolean"
	case t == "time.Time":
		return "t_datetime"
	default:
		return "t_table"
	}
}

// tomlKindWord names go-toml's kinds ("inline table", "local datetime").
func tomlKindWord(k string) Word {
	w := Word("t_" + strings.ReplaceAll(k, " ", "_"))
	if _, known := englishWords[w]; !known {
		return "t_value"
	}
	return w
}

// syntaxError reports the parser's error the way the decoder would, without running the
// decoder.
func syntaxError(name string, data []byte, ps *positions) *Error {
	line, msg := 1, ps.syntax.Error()
	var perr *unstable.ParserError
	if errors.As(ps.syntax, &perr) {
		msg = perr.Message
		// The highlight is a subslice of data: its offset is the difference of capacities.
		if off := cap(data) - cap(perr.Highlight); perr.Highlight != nil && off >= 0 && off <= len(data) {
			line = ps.lineAt(off)
		}
	}
	return newError(name, line, "", problem("syntax", Detail(msg)))
}
