package enrol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"aead.dev/minisign"
	"github.com/pelletier/go-toml/v2"

	"relais/internal/server/avis"
	"relais/internal/server/db"
)

// maxTokensFile bounds the setup tokens file.
const maxTokensFile = 1 << 20

// LoadGrantKey reads grant_key_file: a minisign secret key without a
// password, readable by the server's user alone — the checks of the
// notice key (avis.LoadSigner), with the same codes. Its error is an
// *avis.KeyError; `relais serve` words it as cli.serve.grant_key.<code>.
func LoadGrantKey(path string) (minisign.PrivateKey, error) {
	return avis.LoadKey(path, "grant key")
}

// Codes of a TokensFileError; `relais serve` words each as
// cli.serve.setup_tokens.<code>.
const (
	TokensUnreadable = "unreadable" // missing or unreadable
	TokensSyntax     = "syntax"     // not the TOML expected (unknown key, wrong type)
	TokensInvalid    = "invalid"    // an entry with a bad name, hash, uses or expiry, or a name twice
)

// TokensFileError is a setup tokens file that cannot be used.
type TokensFileError struct {
	Code string
	Path string
	Msg  string // English, never a token (the file holds none)
}

func (e *TokensFileError) Error() string {
	return "setup tokens file " + e.Path + ": " + e.Msg
}

// tokensFile is setup_tokens_file:
//
//	[[token]]
//	name = "rentree-2027"
//	sha256 = "<hex of enrolment.Hash(token)>"
//	uses = 3000
//	expires = 2027-03-01T00:00:00Z
type tokensFile struct {
	Token []struct {
		Name    string    `toml:"name"`
		SHA256  string    `toml:"sha256"`
		Uses    int       `toml:"uses"`
		Expires time.Time `toml:"expires"`
	} `toml:"token"`
}

// MaxTokenName bounds a setup token's name.
const MaxTokenName = 64

// LoadSetupTokens reads setup_tokens_file.
func LoadSetupTokens(path string) ([]db.FileToken, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &TokensFileError{Code: TokensUnreadable, Path: path, Msg: err.Error()}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokensFile+1))
	if err != nil {
		return nil, &TokensFileError{Code: TokensUnreadable, Path: path, Msg: err.Error()}
	}
	toks, err := ParseSetupTokens(b)
	if err != nil {
		err.(*TokensFileError).Path = path
		return nil, err
	}
	return toks, nil
}

// ParseSetupTokens reads the setup tokens file's content, strictly: an
// unknown key, a name twice, a hash not 64 lower-case hex digits, uses
// outside 1..1000000 or a missing expiry is an error (*TokensFileError).
func ParseSetupTokens(data []byte) ([]db.FileToken, error) {
	if len(data) > maxTokensFile {
		return nil, &TokensFileError{Code: TokensInvalid, Msg: fmt.Sprintf("larger than %d bytes", maxTokensFile)}
	}
	var tf tokensFile
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&tf); err != nil {
		msg := "not the TOML expected ([[token]] with name, sha256, uses, expires)"
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			msg = fmt.Sprintf("line %d: %s", row, msg)
		}
		return nil, &TokensFileError{Code: TokensSyntax, Msg: msg}
	}
	seen := map[string]bool{}
	var out []db.FileToken
	for i, t := range tf.Token {
		bad := func(format string, args ...any) error {
			return &TokensFileError{Code: TokensInvalid, Msg: fmt.Sprintf("token %d: ", i+1) + fmt.Sprintf(format, args...)}
		}
		switch {
		case strings.TrimSpace(t.Name) == "" || len(t.Name) > MaxTokenName || !printable(t.Name):
			return nil, bad("name must be 1 to %d printable characters", MaxTokenName)
		case seen[t.Name]:
			return nil, bad("name %q given twice", t.Name)
		case !isHex64(t.SHA256):
			return nil, bad("sha256 must be 64 lower-case hexadecimal digits (relais serve token hash)")
		case t.Uses < 1 || t.Uses > 1_000_000:
			return nil, bad("uses must be between 1 and 1000000")
		case t.Expires.IsZero():
			return nil, bad("expires is required (such as 2027-03-01T00:00:00Z)")
		}
		seen[t.Name] = true
		out = append(out, db.FileToken{Name: t.Name, Hash: t.SHA256, MaxUses: t.Uses, Expires: t.Expires.UTC()})
	}
	return out, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return strings.ToValidUTF8(s, "") == s
}
