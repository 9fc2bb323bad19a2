// Package wgconf reads and writes wg-quick configuration files (the `.conf`
// of wireguard-tools) the way wg(8) and wg-quick(8) read them: section and
// key names are case-insensitive, `#` starts a comment, and the wg-quick
// keys (Address, DNS, MTU, Table, PreUp, PostUp, PreDown, PostDown,
// SaveConfig) sit in [Interface] beside wg's own.
//
// It is stricter than wg where a mistake would go unnoticed: an unknown
// key, a bad value, a key given twice or a second [Interface] is an error
// located as FILE:LINE: key: message. It must never log a file's content:
// a .conf holds a private key.
package wgconf

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"unicode"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// MaxSize is the largest file Parse reads. Real files are a few hundred
// bytes; the limit keeps a wrong file (or a hostile one) from using memory.
const MaxSize = 64 << 10

// MaxErrors caps the errors one Parse reports.
const MaxErrors = 50

// ErrTooLarge means the file is larger than MaxSize.
var ErrTooLarge = errors.New("wgconf: file too large")

// File is one wg-quick configuration.
type File struct {
	Interface Interface
	Peers     []Peer
}

// Interface is the [Interface] section.
type Interface struct {
	PrivateKey *wgtypes.Key   // nil: absent
	Addresses  []netip.Prefix // Address: the device's tunnel addresses (a bare IP is a /32 or /128)
	DNS        []netip.Addr   // DNS entries that are IP addresses
	DNSSearch  []string       // DNS entries that are names: search domains
	MTU        int            // 0: absent
	ListenPort int            // 0: absent (a random port)
	FwMark     uint32         // 0: absent or off
	Table      string         // wg-quick: off, auto, a number or a table name; "": absent
	PreUp      []string       // wg-quick hooks, kept in order; Relais never runs them
	PostUp     []string
	PreDown    []string
	PostDown   []string
	SaveConfig bool

	// PrivateKeyNote, when PrivateKey is nil, is written by Marshal as a
	// comment where the PrivateKey line would be (a hint saying where the
	// key is). Parse never sets it.
	PrivateKeyNote string
}

// Peer is a [Peer] section.
type Peer struct {
	PublicKey           wgtypes.Key
	PresharedKey        *wgtypes.Key // nil: absent
	Endpoint            string       // host:port or [v6]:port, as written; "": absent
	AllowedIPs          []netip.Prefix
	PersistentKeepalive int // seconds, 0: off
}

// Error is one problem in a file. It never repeats the value refused: a
// private key pasted in the wrong field must not reach a terminal, a log
// or a screenshot; the line and the key say where to look.
type Error struct {
	File string
	Line int
	Key  string // the key as written, or "" for a line-level problem
	Code string // what is wrong, for a front end to word (Codes lists them)
	Args []any  // the code's arguments (numbers only: never the value)
	Msg  string // the same in English, for logs
}

// Codes are the problems Parse reports, each with its English wording
// (Error.Msg); a front end words them in the person's language.
var Codes = map[string]string{
	"control_char":       "control character in the line",
	"second_interface":   "a second [Interface] section",
	"unknown_section":    "unknown section (want [Interface] or [Peer])",
	"not_key_value":      "not a key = value line",
	"outside_section":    "outside any section (put it under [Interface] or [Peer])",
	"no_interface":       "no [Interface] section",
	"peer_no_public_key": "[Peer] without a PublicKey",
	"duplicate":          "given twice in the same section",
	"key":                "not a base64 WireGuard key (44 characters)",
	"address":            "a value is not an address with an optional /prefix",
	"dns":                "a value is neither an IP address nor a search domain",
	"fwmark":             "not off or a 32-bit number",
	"table":              "not off, auto, a number or a table name",
	"empty_command":      "empty command",
	"bool":               "neither true nor false",
	"unknown_interface":  "unknown key in [Interface]",
	"unknown_peer":       "unknown key in [Peer]",
	"range":              "not a number between %d and %d",
	"endpoint":           "not host:port (an IPv6 address goes in brackets: [2001:db8::1]:51820)",
	"endpoint_no_host":   "no host",
	"endpoint_ipv6":      "not an IPv6 address in brackets",
	"endpoint_host":      "not an IP address or a host name",
	"endpoint_port":      "the port is not a number between 1 and 65535",
}

// codeError is a problem found by a value's parser: its code.
type codeError string

func (c codeError) Error() string { return Codes[string(c)] }

// Error returns "FILE:LINE: key: message", or "FILE:LINE: message".
func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
}

// ErrorList is every problem Parse found, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// ReadFile reads and parses a file, refusing files larger than MaxSize.
func ReadFile(name string) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(name, b)
}

type section int

const (
	sectionNone section = iota
	sectionInterface
	sectionPeer
)

type parser struct {
	name     string
	errs     ErrorList
	f        *File
	sec      section
	seen     map[string]bool // single-valued keys already given in the current section
	peerLine int             // where the current [Peer] began
	peerKey  bool            // the current peer has a PublicKey
}

func (p *parser) fail(line int, key, code string, a ...any) {
	if len(p.errs) < MaxErrors {
		p.errs = append(p.errs, &Error{File: p.name, Line: line, Key: key, Code: code, Args: a, Msg: fmt.Sprintf(Codes[code], a...)})
	}
}

// failErr reports a value parser's error: its code when it has one.
func (p *parser) failErr(line int, key string, err error) {
	code := "key"
	var c codeError
	if errors.As(err, &c) {
		code = string(c)
	}
	p.fail(line, key, code)
}

// Parse reads a wg-quick configuration; name only labels the errors. On
// error it returns an ErrorList (or an error wrapping ErrTooLarge).
func Parse(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, name, MaxSize)
	}
	// A UTF-8 byte-order mark (Windows editors write one) is not part of
	// the first line.
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	p := &parser{name: name, f: &File{}}
	hasInterface := false
	for i, raw := range strings.Split(string(data), "\n") {
		line := i + 1
		text, _, _ := strings.Cut(raw, "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
			p.fail(line, "", "control_char")
			continue
		}
		if strings.HasPrefix(text, "[") {
			p.endPeer()
			switch strings.ToLower(text) {
			case "[interface]":
				if hasInterface {
					p.fail(line, "", "second_interface")
				}
				hasInterface = true
				p.sec = sectionInterface
			case "[peer]":
				p.sec = sectionPeer
				p.f.Peers = append(p.f.Peers, Peer{})
				p.peerLine, p.peerKey = line, false
			default:
				p.sec = sectionNone
				p.fail(line, "", "unknown_section")
				continue
			}
			p.seen = map[string]bool{}
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			p.fail(line, "", "not_key_value")
			continue
		}
		switch p.sec {
		case sectionNone:
			p.fail(line, key, "outside_section")
		case sectionInterface:
			p.interfaceKey(line, key, value)
		case sectionPeer:
			p.peerKeyValue(line, key, value, &p.f.Peers[len(p.f.Peers)-1])
		}
	}
	p.endPeer()
	if !hasInterface && len(p.errs) == 0 {
		p.fail(1, "", "no_interface")
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.f, nil
}

func (p *parser) endPeer() {
	if p.sec == sectionPeer && !p.peerKey {
		p.fail(p.peerLine, "", "peer_no_public_key")
	}
}

// once reports whether a single-valued key is given for the first time in
// its section, and complains otherwise.
func (p *parser) once(line int, key, canonical string) bool {
	if p.seen[canonical] {
		p.fail(line, key, "duplicate")
		return false
	}
	p.seen[canonical] = true
	return true
}

func (p *parser) interfaceKey(line int, key, value string) {
	in := &p.f.Interface
	switch strings.ToLower(key) {
	case "privatekey":
		if !p.once(line, key, "privatekey") {
			return
		}
		if k, err := parseKey(value); err != nil {
			p.failErr(line, key, err)
		} else {
			in.PrivateKey = &k
		}
	case "address":
		for _, v := range splitList(value) {
			a, err := parseAddress(v)
			if err != nil {
				p.fail(line, key, "address")
				continue
			}
			in.Addresses = append(in.Addresses, a)
		}
	case "dns":
		for _, v := range splitList(value) {
			if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
				in.DNS = append(in.DNS, a)
			} else if looksLikeIP(v) || !isDomain(v) {
				p.fail(line, key, "dns")
			} else {
				in.DNSSearch = append(in.DNSSearch, v)
			}
		}
	case "mtu":
		if p.once(line, key, "mtu") {
			in.MTU = p.number(line, key, value, 576, 65535)
		}
	case "listenport":
		if p.once(line, key, "listenport") {
			in.ListenPort = p.number(line, key, value, 0, 65535)
		}
	case "fwmark":
		if !p.once(line, key, "fwmark") || strings.EqualFold(value, "off") {
			return
		}
		n, err := strconv.ParseUint(value, 0, 32)
		if err != nil {
			p.fail(line, key, "fwmark")
		}
		in.FwMark = uint32(n)
	case "table":
		if !p.once(line, key, "table") {
			return
		}
		if value == "" || strings.ContainsAny(value, " \t,") {
			p.fail(line, key, "table")
		}
		in.Table = value
	case "preup", "postup", "predown", "postdown":
		if value == "" {
			p.fail(line, key, "empty_command")
			return
		}
		switch strings.ToLower(key) {
		case "preup":
			in.PreUp = append(in.PreUp, value)
		case "postup":
			in.PostUp = append(in.PostUp, value)
		case "predown":
			in.PreDown = append(in.PreDown, value)
		default:
			in.PostDown = append(in.PostDown, value)
		}
	case "saveconfig":
		if !p.once(line, key, "saveconfig") {
			return
		}
		switch strings.ToLower(value) {
		case "true":
			in.SaveConfig = true
		case "false":
		default:
			p.fail(line, key, "bool")
		}
	default:
		p.fail(line, key, "unknown_interface")
	}
}

func (p *parser) peerKeyValue(line int, key, value string, peer *Peer) {
	switch strings.ToLower(key) {
	case "publickey":
		if !p.once(line, key, "publickey") {
			return
		}
		p.peerKey = true
		if k, err := parseKey(value); err != nil {
			p.failErr(line, key, err)
		} else {
			peer.PublicKey = k
		}
	case "presharedkey":
		if !p.once(line, key, "presharedkey") {
			return
		}
		if k, err := parseKey(value); err != nil {
			p.failErr(line, key, err)
		} else {
			peer.PresharedKey = &k
		}
	case "endpoint":
		if !p.once(line, key, "endpoint") {
			return
		}
		if err := checkEndpoint(value); err != nil {
			p.failErr(line, key, err)
		}
		peer.Endpoint = value
	case "allowedips":
		for _, v := range splitList(value) {
			a, err := parseAddress(v)
			if err != nil {
				p.fail(line, key, "address")
				continue
			}
			peer.AllowedIPs = append(peer.AllowedIPs, a)
		}
	case "persistentkeepalive":
		if !p.once(line, key, "persistentkeepalive") || strings.EqualFold(value, "off") {
			return
		}
		peer.PersistentKeepalive = p.number(line, key, value, 0, 65535)
	default:
		p.fail(line, key, "unknown_peer")
	}
}

func (p *parser) number(line int, key, value string, lo, hi int) int {
	n, err := strconv.Atoi(value)
	if err != nil || n < lo || n > hi || strings.HasPrefix(value, "+") {
		p.fail(line, key, "range", lo, hi)
		return 0
	}
	return n
}

// parseKey decodes a base64 key (44 characters, as wg(8) prints them). The
// error never repeats the value: it may be a private key.
func parseKey(s string) (wgtypes.Key, error) {
	var k wgtypes.Key
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, codeError("key")
	}
	copy(k[:], b)
	return k, nil
}

// splitList splits a comma- or space-separated list, as wg-quick does.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// parseAddress accepts ADDR/BITS or a bare address (a host route).
func parseAddress(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errors.New("zone")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// looksLikeIP is wg-quick's own test for a DNS entry that is an address
// (digits and dots, or anything with a colon): such an entry that does not
// parse is a typo, not a search domain.
func looksLikeIP(v string) bool {
	return strings.Contains(v, ":") || strings.Trim(v, "0123456789.") == ""
}

func isDomain(v string) bool {
	if len(v) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(v, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func checkEndpoint(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return codeError("endpoint")
	}
	if host == "" || strings.ContainsAny(host, " \t") {
		return codeError("endpoint_no_host")
	}
	if strings.Contains(host, ":") {
		if a, err := netip.ParseAddr(host); err != nil || a.Zone() != "" {
			return codeError("endpoint_ipv6")
		}
	} else if _, err := netip.ParseAddr(host); err != nil && (looksLikeIP(host) || !isDomain(host)) {
		return codeError("endpoint_host")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return codeError("endpoint_port")
	}
	return nil
}

// Marshal writes f as a wg-quick configuration that wg-quick(8) and wg(8)
// read. It refuses values that cannot be written on one line or that
// Parse would reject, so what it writes always parses back to f.
func (f *File) Marshal() ([]byte, error) {
	var b bytes.Buffer
	in := &f.Interface
	var bad []string
	text := func(key, v string) {
		if strings.ContainsAny(v, "#") || strings.ContainsFunc(v, unicode.IsControl) || v != strings.TrimSpace(v) || v == "" {
			bad = append(bad, key)
			return
		}
		fmt.Fprintf(&b, "%s = %s\n", key, v)
	}
	b.WriteString("[Interface]\n")
	switch {
	case in.PrivateKey != nil:
		fmt.Fprintf(&b, "PrivateKey = %s\n", in.PrivateKey)
	case in.PrivateKeyNote != "":
		for _, l := range strings.Split(in.PrivateKeyNote, "\n") {
			fmt.Fprintf(&b, "# %s\n", strings.TrimRight(l, "\r"))
		}
	}
	if len(in.Addresses) > 0 {
		fmt.Fprintf(&b, "Address = %s\n", joinPrefixes(in.Addresses, &bad, "Address"))
	}
	if len(in.DNS)+len(in.DNSSearch) > 0 {
		var dns []string
		for _, a := range in.DNS {
			if a.Zone() != "" || !a.IsValid() {
				bad = append(bad, "DNS")
			}
			dns = append(dns, a.String())
		}
		for _, d := range in.DNSSearch {
			if looksLikeIP(d) || !isDomain(d) {
				bad = append(bad, "DNS")
			}
			dns = append(dns, d)
		}
		fmt.Fprintf(&b, "DNS = %s\n", strings.Join(dns, ", "))
	}
	if in.MTU != 0 {
		if in.MTU < 576 || in.MTU > 65535 {
			bad = append(bad, "MTU")
		}
		fmt.Fprintf(&b, "MTU = %d\n", in.MTU)
	}
	if in.ListenPort != 0 {
		if in.ListenPort < 0 || in.ListenPort > 65535 {
			bad = append(bad, "ListenPort")
		}
		fmt.Fprintf(&b, "ListenPort = %d\n", in.ListenPort)
	}
	if in.FwMark != 0 {
		fmt.Fprintf(&b, "FwMark = 0x%x\n", in.FwMark)
	}
	if in.Table != "" {
		if strings.ContainsAny(in.Table, " \t,") {
			bad = append(bad, "Table")
		}
		text("Table", in.Table)
	}
	for _, hook := range []struct {
		key  string
		cmds []string
	}{{"PreUp", in.PreUp}, {"PostUp", in.PostUp}, {"PreDown", in.PreDown}, {"PostDown", in.PostDown}} {
		for _, c := range hook.cmds {
			text(hook.key, c)
		}
	}
	if in.SaveConfig {
		b.WriteString("SaveConfig = true\n")
	}
	for _, p := range f.Peers {
		b.WriteString("\n[Peer]\n")
		fmt.Fprintf(&b, "PublicKey = %s\n", p.PublicKey)
		if p.PresharedKey != nil {
			fmt.Fprintf(&b, "PresharedKey = %s\n", p.PresharedKey)
		}
		if p.Endpoint != "" {
			if checkEndpoint(p.Endpoint) != nil {
				bad = append(bad, "Endpoint")
			}
			text("Endpoint", p.Endpoint)
		}
		if len(p.AllowedIPs) > 0 {
			fmt.Fprintf(&b, "AllowedIPs = %s\n", joinPrefixes(p.AllowedIPs, &bad, "AllowedIPs"))
		}
		if p.PersistentKeepalive != 0 {
			if p.PersistentKeepalive < 0 || p.PersistentKeepalive > 65535 {
				bad = append(bad, "PersistentKeepalive")
			}
			fmt.Fprintf(&b, "PersistentKeepalive = %d\n", p.PersistentKeepalive)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("wgconf: cannot write %s: a value wg-quick would not read back", strings.Join(bad, ", "))
	}
	return b.Bytes(), nil
}

func joinPrefixes(ps []netip.Prefix, bad *[]string, key string) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		if !p.IsValid() {
			*bad = append(*bad, key)
		}
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
