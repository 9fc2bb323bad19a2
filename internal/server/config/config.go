// Package config reads server.toml, the configuration of the
// organisation's server (`relais serve`): strict TOML (an unknown key is
// an error), every key optional, each problem a coded *Error located by
// line. It reads files only in Load; it never reads the secrets the
// configuration names (token, keys): the server does, when it starts.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Defaults.
const (
	DefaultListen         = "127.0.0.1:8443"
	DefaultMaxReportBytes = 1 << 20  // a drill report is ~5 KB
	DefaultMaxBundleBytes = 64 << 20 // a diagnostics bundle, encrypted
	DefaultRatePerMinute  = 120      // submissions per source address
	DefaultRateBurst      = 60
	// DefaultDataDirName is the data directory beside the configuration
	// file when neither data_dir nor $STATE_DIRECTORY (systemd's
	// StateDirectory=) says where.
	DefaultDataDirName = "relais-server-data"
)

// MaxFileSize bounds server.toml.
const MaxFileSize = 256 << 10

// Config is server.toml.
type Config struct {
	Listen      string `toml:"listen"`
	DataDir     string `toml:"data_dir"`
	DatabaseURL string `toml:"database_url"`
	// TrustedNetworks are the prefixes (or single addresses) whose
	// submissions need no token: the tunnel's addresses. Absent: loopback
	// only; an empty list: none.
	TrustedNetworks      *[]string `toml:"trusted_networks"`
	SubmitTokenFile      string    `toml:"submit_token_file"`
	HelpdeskIdentityFile string    `toml:"helpdesk_identity_file"`
	NoticeKeyFile        string    `toml:"notice_key_file"`
	TLS                  TLS       `toml:"tls"`
	Limits               Limits    `toml:"limits"`
	// WireGuard is [wireguard]: nil when absent (the server enrols no one).
	WireGuard *WireGuard `toml:"wireguard"`

	// Networks is TrustedNetworks parsed (not a TOML key).
	Networks []netip.Prefix `toml:"-"`
}

// TLS is [tls]: both files or neither.
type TLS struct {
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
}

// Enabled reports whether the server serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// WireGuard is [wireguard]: enrolment on the emergency gateway. The
// server manages the peers of an existing WireGuard interface (kernel or
// wireguard-go) on this machine: interface names it, pool lists the
// networks tunnel addresses are taken from (one address of each per
// device; IPv4 and/or IPv6).
//
// setup_tokens_file (optional) lists setup tokens by their hash, strict
// TOML, upserted into the database at each start (uses kept; a token no
// longer listed is revoked):
//
//	[[token]]
//	name = "rentree-2027"
//	sha256 = "<hex of enrolment.Hash(token)>"
//	uses = 3000
//	expires = 2027-03-01T00:00:00Z
//
// grant_key_file (optional) is a minisign secret key without a password,
// mode 0600, that signs each enrolment's grant; its public half goes in
// the profile's [enrolment] public_key.
type WireGuard struct {
	Interface          string   `toml:"interface"`
	Pool               []string `toml:"pool"`
	SetupTokensFile    string   `toml:"setup_tokens_file"`
	GrantKeyFile       string   `toml:"grant_key_file"`
	RemoveUnknownPeers bool     `toml:"remove_unknown_peers"`
	CodeValidity       string   `toml:"code_validity"`
	ReconcileInterval  string   `toml:"reconcile_interval"`

	// Parsed (not TOML keys).
	Pools     []netip.Prefix `toml:"-"`
	CodeTTL   time.Duration  `toml:"-"`
	Reconcile time.Duration  `toml:"-"`
}

// Defaults of [wireguard].
const (
	DefaultCodeValidity      = 8 * time.Hour
	DefaultReconcileInterval = 30 * time.Second
)

// Limits is [limits]; zero means the default.
type Limits struct {
	MaxReportBytes int64 `toml:"max_report_bytes"`
	MaxBundleBytes int64 `toml:"max_bundle_bytes"`
	// RatePerMinute is the submissions one source address may make per
	// minute on average, RateBurst how many at once.
	RatePerMinute float64 `toml:"rate_per_minute"`
	RateBurst     int     `toml:"rate_burst"`
}

// Error codes (Error.Code), for front ends to word.
const (
	CodeTooLarge      = "too_large"      // the file is larger than MaxFileSize
	CodeSyntax        = "syntax"         // not TOML
	CodeUnknownKey    = "unknown_key"    // a key server.toml does not have
	CodeListen        = "listen"         // listen is not host:port
	CodePlainHTTP     = "plain_http"     // listen is not loopback and [tls] is not set
	CodeDatabaseURL   = "database_url"   // not a postgres:// URL
	CodeNetwork       = "network"        // a trusted_networks entry is not a prefix or address
	CodeTLSIncomplete = "tls_incomplete" // cert_file without key_file or the reverse
	CodeLimit         = "limit"          // a limit out of range
	CodeEmptyPath     = "empty_path"     // a file key set to spaces
	CodeWGInterface   = "wg_interface"   // [wireguard] without a valid interface name
	CodeWGPool        = "wg_pool"        // [wireguard] pool empty, or an entry not a network
	CodeDuration      = "duration"       // code_validity or reconcile_interval not a duration in range
)

// Error is one problem in server.toml. Line is 0 when no line applies.
type Error struct {
	File string
	Line int
	Key  string // the key concerned ("limits.max_report_bytes"), "" when none
	Code string
	Msg  string // in English, for logs
}

// Error returns "FILE:LINE: KEY: MSG", the parts that apply.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("server config: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found, in order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Load reads and parses the file at path, and resolves its paths: a
// relative path is relative to the file's directory; an absent data_dir
// is $STATE_DIRECTORY (getenv) when set, else DefaultDataDirName beside
// the file.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	c, err := Parse(filepath.Base(path), data)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	dir := filepath.Dir(abs)
	if c.DataDir == "" {
		if getenv != nil {
			// systemd's StateDirectory= may list several, separated by ':'.
			c.DataDir, _, _ = strings.Cut(getenv("STATE_DIRECTORY"), ":")
		}
		if c.DataDir == "" {
			c.DataDir = DefaultDataDirName
		}
	}
	paths := []*string{&c.DataDir, &c.SubmitTokenFile, &c.HelpdeskIdentityFile, &c.NoticeKeyFile,
		&c.TLS.CertFile, &c.TLS.KeyFile}
	if c.WireGuard != nil {
		paths = append(paths, &c.WireGuard.SetupTokensFile, &c.WireGuard.GrantKeyFile)
	}
	for _, p := range paths {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return c, nil
}

// Parse decodes server.toml strictly and validates it, applying the
// defaults. name is the file's name for errors. On failure the error is
// an ErrorList.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, ErrorList{{File: name, Code: CodeTooLarge, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var sm *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &sm):
			var errs ErrorList
			for _, e := range sm.Errors {
				row, _ := e.Position()
				errs = append(errs, &Error{File: name, Line: row, Key: strings.Join(e.Key(), "."), Code: CodeUnknownKey,
					Msg: "unknown key"})
			}
			return nil, errs
		case errors.As(err, &de):
			row, _ := de.Position()
			key := strings.Join(de.Key(), ".")
			return nil, ErrorList{{File: name, Line: row, Key: key, Code: CodeSyntax, Msg: de.Error()}}
		default:
			return nil, ErrorList{{File: name, Code: CodeSyntax, Msg: strings.TrimPrefix(err.Error(), "toml: ")}}
		}
	}
	v := validator{name: name, lines: keyLines(data)}
	v.validate(&c)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return &c, nil
}

type validator struct {
	name  string
	lines map[string]int
	errs  ErrorList
}

func (v *validator) add(key, code, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.name, Line: v.lines[key], Key: key, Code: code, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) validate(c *Config) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		v.add("listen", CodeListen, "%q is not HOST:PORT", c.Listen)
	} else if !c.TLS.Enabled() && !loopbackHost(host) {
		v.add("listen", CodePlainHTTP, "%q is not a loopback address: plain HTTP only on loopback; set [tls] cert_file and key_file", c.Listen)
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			// Never the URL itself: it may carry a password.
			v.add("database_url", CodeDatabaseURL, "not a postgres:// URL")
		}
	}
	if c.TrustedNetworks == nil {
		c.Networks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	} else {
		for i, s := range *c.TrustedNetworks {
			p, err := parsePrefix(s)
			if err != nil {
				v.add("trusted_networks", CodeNetwork, "[%d] %q is not an address or a prefix such as 10.20.0.0/16", i, s)
				continue
			}
			c.Networks = append(c.Networks, p)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		v.add("tls", CodeTLSIncomplete, "cert_file and key_file go together")
	}
	for key, p := range map[string]string{"data_dir": c.DataDir, "submit_token_file": c.SubmitTokenFile,
		"helpdesk_identity_file": c.HelpdeskIdentityFile, "notice_key_file": c.NoticeKeyFile,
		"tls.cert_file": c.TLS.CertFile, "tls.key_file": c.TLS.KeyFile} {
		if p != "" && strings.TrimSpace(p) == "" {
			v.add(key, CodeEmptyPath, "empty")
		}
	}
	if c.WireGuard != nil {
		v.wireguard(c.WireGuard)
	}
	l := &c.Limits
	switch {
	case l.MaxReportBytes == 0:
		l.MaxReportBytes = DefaultMaxReportBytes
	case l.MaxReportBytes < 1024 || l.MaxReportBytes > 16<<20:
		v.add("limits.max_report_bytes", CodeLimit, "must be between 1024 and %d", 16<<20)
	}
	switch {
	case l.MaxBundleBytes == 0:
		l.MaxBundleBytes = DefaultMaxBundleBytes
	case l.MaxBundleBytes < 1024 || l.MaxBundleBytes > 1<<30:
		v.add("limits.max_bundle_bytes", CodeLimit, "must be between 1024 and %d", 1<<30)
	}
	switch {
	case l.RatePerMinute == 0:
		l.RatePerMinute = DefaultRatePerMinute
	case !(l.RatePerMinute > 0 && l.RatePerMinute <= 1e6): // also refuses NaN
		v.add("limits.rate_per_minute", CodeLimit, "must be more than 0 and at most 1000000")
	}
	switch {
	case l.RateBurst == 0:
		l.RateBurst = DefaultRateBurst
	case l.RateBurst < 1 || l.RateBurst > 1e6:
		v.add("limits.rate_burst", CodeLimit, "must be between 1 and 1000000")
	}
	// The deduplicated order of errors follows the file.
	sortByLine(v.errs)
}

// wireguard validates [wireguard].
func (v *validator) wireguard(w *WireGuard) {
	if !validInterface(w.Interface) {
		v.add("wireguard.interface", CodeWGInterface, "the name of an existing WireGuard interface is required (1 to 15 characters, no spaces or slashes)")
	}
	if len(w.Pool) == 0 {
		v.add("wireguard.pool", CodeWGPool, "at least one network is required, such as 10.20.128.0/17")
	}
	for i, s := range w.Pool {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		switch {
		case err != nil || p.Addr().Is4In6() || p.Addr().Zone() != "":
			v.add("wireguard.pool", CodeWGPool, "[%d] %q is not a network such as 10.20.128.0/17 or fd00:20::/64", i, s)
			continue
		case p != p.Masked():
			v.add("wireguard.pool", CodeWGPool, "[%d] %q is a host, not a network (did you mean %s?)", i, s, p.Masked())
			continue
		case p.Bits() > p.Addr().BitLen()-2:
			v.add("wireguard.pool", CodeWGPool, "[%d] %q holds fewer than two addresses", i, s)
			continue
		}
		for _, q := range w.Pools {
			if q.Overlaps(p) {
				v.add("wireguard.pool", CodeWGPool, "[%d] %q overlaps %s", i, s, q)
			}
		}
		w.Pools = append(w.Pools, p)
	}
	for key, p := range map[string]string{"wireguard.setup_tokens_file": w.SetupTokensFile, "wireguard.grant_key_file": w.GrantKeyFile} {
		if p != "" && strings.TrimSpace(p) == "" {
			v.add(key, CodeEmptyPath, "empty")
		}
	}
	w.CodeTTL = v.duration("wireguard.code_validity", w.CodeValidity, DefaultCodeValidity, time.Minute, 30*24*time.Hour)
	w.Reconcile = v.duration("wireguard.reconcile_interval", w.ReconcileInterval, DefaultReconcileInterval, time.Second, time.Hour)
}

// duration parses a Go duration ("8h", "30s") within [lo, hi]; "" is def.
func (v *validator) duration(key, s string, def, lo, hi time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < lo || d > hi {
		v.add(key, CodeDuration, "%q must be a duration such as \"8h\" or \"30s\", between %s and %s", s, lo, hi)
		return def
	}
	return d
}

// validInterface is a Linux interface name.
func validInterface(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '/' || r == ':' || r > '~' {
			return false
		}
	}
	return true
}

func sortByLine(errs ErrorList) {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && (errs[j].Line < errs[j-1].Line ||
			errs[j].Line == errs[j-1].Line && errs[j].Key < errs[j-1].Key); j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// parsePrefix reads 10.20.0.0/16, fd00::/8 or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, errors.New("an IPv4-mapped prefix shorter than /96")
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// keyLines maps each key of the file ("listen", "tls.cert_file") to the
// line where it is set, for the validator's errors. It reads lines, not
// TOML: the decoder has already accepted the file, and a key it cannot
// place only loses its line number.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	table := ""
	for i, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "[[") {
			if end := strings.IndexByte(l, ']'); end > 0 {
				table = strings.Trim(strings.TrimSpace(l[1:end]), `"'`)
				if _, ok := lines[table]; !ok {
					lines[table] = i + 1
				}
			}
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if table != "" {
			k = table + "." + k
		}
		if _, seen := lines[k]; !seen {
			lines[k] = i + 1
		}
	}
	return lines
}
