// Package config reads the machine's managed configuration (written by the
// installer, read-only for users) and locates the user's data directory.
//
// It reads; it never writes the managed file. The managed configuration
// carries public keys and URLs, and one secret: an optional enrolment setup
// token (enrol_token), which is never logged nor shown (Managed.String
// says only whether one is configured).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/pelletier/go-toml/v2"

	"relais/internal/profile"
)

// MaxManagedSize bounds the managed file: it holds a few URLs and keys.
const MaxManagedSize = 256 << 10

// ErrNoManaged means no managed configuration exists at the path: Relais is
// not installed for an organisation (or RELAIS_CONFIG points nowhere).
var ErrNoManaged = errors.New("config: no managed configuration")

// Managed is the managed configuration, relais.toml.
type Managed struct {
	// ProfileURL is where the signed profile is published (the signature is
	// at the same URL + ".minisig").
	ProfileURL string `toml:"profile_url"`
	// ProfileFile is a bootstrap copy shipped with the package (+ ".minisig"),
	// used when no profile was ever fetched.
	ProfileFile string `toml:"profile_file"`
	// TrustedKeys are minisign public keys; a profile must be signed by one.
	TrustedKeys []string `toml:"trusted_keys"`
	// Locked holds settings users cannot change.
	Locked Locked `toml:"locked"`
	// EnrolToken is an organisation-wide setup token (rlst_…) with which
	// the device enrols on the emergency gateway by itself; "" when the
	// helpdesk gives a one-time code instead. A secret: never logged,
	// never shown (only that one is configured).
	EnrolToken string `toml:"enrol_token"`
	// EnrolURL overrides the profile's [enrolment] url.
	EnrolURL string `toml:"enrol_url"`
	// CaptiveURL overrides the profile's [captive] url: the captive-portal
	// probe (an http or https URL); "" keeps the profile's, else the
	// platform's usual endpoint.
	CaptiveURL string `toml:"captive_url"`
	// CaptiveExpectStatus is the status CaptiveURL must answer (200–599);
	// 0 when absent: profile.DefaultCaptiveStatus. Only with captive_url.
	CaptiveExpectStatus int `toml:"captive_expect_status"`

	// Path is the file this was read from (not a TOML key).
	Path string `toml:"-"`
}

// String describes m for logs, saying only whether a setup token is
// configured.
func (m Managed) String() string {
	tok := "none"
	if m.EnrolToken != "" {
		tok = "configured"
	}
	return fmt.Sprintf("config.Managed{profile_url: %q, profile_file: %q, trusted_keys: %d, enrol_url: %q, enrol_token: %s, captive_url: %q, captive_expect_status: %d, path: %q}",
		m.ProfileURL, m.ProfileFile, len(m.TrustedKeys), m.EnrolURL, tok, m.CaptiveURL, m.CaptiveExpectStatus, m.Path)
}

// GoString is String, so that %#v does not show the token either.
func (m Managed) GoString() string { return m.String() }

// Locked settings; nil means not locked.
type Locked struct {
	TunnelMode *string `toml:"tunnel_mode"`
	Autostart  *bool   `toml:"autostart"`
	// SystemProxy: point the person's own proxy setting at Relais' PAC
	// file during Mode urgence (true) or never (false).
	SystemProxy *bool `toml:"system_proxy"`
}

// Environment is what the lookups depend on, passed in so that tests can
// describe any platform.
type Environment struct {
	Getenv func(string) string
	GOOS   string
	// Home is the user's home directory (for the platform defaults).
	Home string
}

// ManagedPath returns where the managed configuration is read from:
// RELAIS_CONFIG when set, else the platform's location.
func ManagedPath(env Environment) string {
	if p := env.Getenv("RELAIS_CONFIG"); p != "" {
		return p
	}
	switch env.GOOS {
	case "windows":
		pd := env.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return pd + `\Relais\relais.toml`
	case "darwin":
		return "/Library/Application Support/Relais/relais.toml"
	default:
		return "/etc/relais/relais.toml"
	}
}

// DataDir returns the user's Relais data directory (database, log,
// settings): RELAIS_HOME when set, else the platform's per-user location.
func DataDir(env Environment) (string, error) {
	if p := env.Getenv("RELAIS_HOME"); p != "" {
		return p, nil
	}
	switch env.GOOS {
	case "windows":
		if d := env.Getenv("LocalAppData"); d != "" {
			return d + `\Relais`, nil
		}
		return "", errors.New("config: %LocalAppData% is not set")
	case "darwin":
		if env.Home == "" {
			return "", errors.New("config: no home directory")
		}
		return filepath.Join(env.Home, "Library", "Application Support", "Relais"), nil
	default:
		if d := env.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "relais"), nil
		}
		if env.Home == "" {
			return "", errors.New("config: no home directory")
		}
		return filepath.Join(env.Home, ".local", "share", "relais"), nil
	}
}

// LoadManaged reads and validates the managed configuration at path.
// A missing file is ErrNoManaged.
func LoadManaged(path string) (*Managed, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoManaged, path)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxManagedSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if len(data) > MaxManagedSize {
		return nil, fmt.Errorf("config: %s: larger than %d bytes", path, MaxManagedSize)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if onlyComments(data) {
		// The packages install a commented template for the admin to fill
		// in: until then the machine is not managed.
		return nil, fmt.Errorf("%w: %s holds no setting yet", ErrNoManaged, path)
	}
	m, err := ParseManaged(filepath.Base(path), data)
	if err != nil {
		return nil, err
	}
	m.Path = path
	return m, nil
}

// onlyComments reports whether a TOML text holds nothing but blank lines
// and comments.
func onlyComments(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// utf8BOM is the UTF-8 byte-order mark.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseManaged decodes strictly (unknown keys are errors) and validates.
// Errors read "config: NAME:LINE: message".
func ParseManaged(name string, data []byte) (*Managed, error) {
	// A UTF-8 byte-order mark (Windows editors write one) is not TOML.
	data = bytes.TrimPrefix(data, utf8BOM)
	var m Managed
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var sm *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &sm):
			var lines []string
			for _, e := range sm.Errors {
				row, _ := e.Position()
				lines = append(lines, fmt.Sprintf("%s:%d: %s: unknown key", name, row, strings.Join(e.Key(), ".")))
			}
			return nil, fmt.Errorf("config: %s", strings.Join(lines, "\n"))
		case errors.As(err, &de):
			row, _ := de.Position()
			return nil, fmt.Errorf("config: %s:%d: %s", name, row, de.Error())
		default:
			return nil, fmt.Errorf("config: %s: %w", name, err)
		}
	}
	if len(m.TrustedKeys) == 0 {
		return nil, fmt.Errorf("config: %s: trusted_keys: required (the minisign public keys that sign the profile)", name)
	}
	for i, k := range m.TrustedKeys {
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("config: %s: trusted_keys[%d]: empty", name, i)
		}
	}
	if m.EnrolToken != "" {
		// Never quote the value: it is a secret.
		if t := strings.TrimSpace(m.EnrolToken); t == "" || len(t) > maxEnrolToken || strings.ContainsFunc(t, unicode.IsControl) {
			return nil, fmt.Errorf("config: %s: enrol_token: not a setup token (blank, longer than %d characters, or a control character)", name, maxEnrolToken)
		}
		m.EnrolToken = strings.TrimSpace(m.EnrolToken)
	}
	if m.EnrolURL != "" {
		if err := checkEnrolURL(m.EnrolURL); err != nil {
			return nil, fmt.Errorf("config: %s: enrol_url: %v", name, err)
		}
	}
	if m.CaptiveURL != "" {
		if p := profile.CaptiveURLProblem(m.CaptiveURL); p.Code != "" {
			return nil, fmt.Errorf("config: %s: captive_url: %s", name, p.English())
		}
	}
	if m.CaptiveExpectStatus != 0 {
		if m.CaptiveURL == "" {
			return nil, fmt.Errorf("config: %s: captive_expect_status: only with captive_url", name)
		}
		if m.CaptiveExpectStatus < profile.MinCaptiveStatus || m.CaptiveExpectStatus > profile.MaxCaptiveStatus {
			return nil, fmt.Errorf("config: %s: captive_expect_status: must be between %d and %d", name, profile.MinCaptiveStatus, profile.MaxCaptiveStatus)
		}
	}
	if m.Locked.TunnelMode != nil {
		switch *m.Locked.TunnelMode {
		case "auto", "userspace", "system":
		default:
			return nil, fmt.Errorf("config: %s: locked.tunnel_mode: must be auto, userspace or system", name)
		}
	}
	return &m, nil
}

// CaptiveStatus is the status the managed captive_url must answer.
func (m *Managed) CaptiveStatus() int {
	if m.CaptiveExpectStatus == 0 {
		return profile.DefaultCaptiveStatus
	}
	return m.CaptiveExpectStatus
}

// maxEnrolToken bounds enrol_token (the contract's MaxTokenLen).
const maxEnrolToken = 128

// checkEnrolURL accepts an absolute https URL, or http to a loopback host
// (a test server), with no user information: the token goes there.
func checkEnrolURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("user information in the URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if a, err := netip.ParseAddr(h); strings.EqualFold(h, "localhost") || (err == nil && a.Unmap().IsLoopback()) {
			return nil
		}
	}
	return errors.New("must be https (http only to this machine)")
}
