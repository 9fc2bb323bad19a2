package profile

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/pelletier/go-toml/v2/unstable"
)

// validator collects every semantic problem of a decoded profile with its position.
type validator struct {
	file string
	ps   *positions
	errs []*Error

	allowedSchemes map[string]bool
	appIDs         map[string]int    // app id → index of its first definition
	checkIDs       map[string]string // check id → path of its first definition
	linkIDs        map[string]bool
	assetIDs       map[string]bool
}

func (v *validator) add(path, msg string) { v.addAt(path, path, msg) }

// addAt reports at path but on the line of another path, for errors about a whole list
// that are best shown where the list goes wrong (the 501st app).
func (v *validator) addAt(path, linePath, msg string) {
	v.errs = append(v.errs, &Error{File: v.file, Line: v.ps.line(linePath), Path: path, Msg: msg})
}

func (v *validator) addf(path, format string, args ...any) { v.add(path, fmt.Sprintf(format, args...)) }

// str reports a missing or blank required string and says whether it is usable.
func (v *validator) str(path, s string) bool {
	if !v.ps.has(path) {
		v.add(path, "required")
		return false
	}
	if strings.TrimSpace(s) == "" {
		v.add(path, "must not be empty")
		return false
	}
	return true
}

// text checks a Text: when present (or required), both languages must be written.
func (v *validator) text(path string, t Text, required bool) {
	if !v.ps.has(path) {
		if required {
			v.add(path, "required")
		}
		return
	}
	v.str(path+".fr", t.FR)
	v.str(path+".en", t.EN)
}

// oneOf checks a required enumerated string.
func (v *validator) oneOf(path, s string, allowed ...string) bool {
	if !v.str(path, s) {
		return false
	}
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	v.add(path, "must be "+orList(allowed))
	return false
}

// via checks an optional via; absent means DefaultVia.
func (v *validator) via(path, s string) {
	if v.ps.has(path) && s != "tunnel" && s != "direct" {
		v.add(path, `must be "tunnel" or "direct"`)
	}
}

func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// id checks a required identifier and that it is unique among seen; it returns whether the
// id is usable for references.
func (v *validator) id(path, s, what string, seen map[string]string) bool {
	if !v.str(path, s) {
		return false
	}
	if !validID(s) {
		v.add(path, "must match [a-z0-9][a-z0-9-]* (at most 64 characters)")
		return false
	}
	if first, dup := seen[s]; dup {
		v.addf(path, "duplicate %s id %q (first on line %d)", what, s, v.ps.line(first))
		return false
	}
	seen[s] = path
	return true
}

// validID: lower-case ASCII so ids are safe in file names, URLs and open_link:<id>.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0
		if !ok {
			return false
		}
	}
	return true
}

// dateTime checks that a date field holds a date: TOML also allows a bare time of day,
// which decodes to year 0 and would silently make the field meaningless.
func (v *validator) dateTime(path string) {
	switch v.ps.kind(path) {
	case unstable.DateTime, unstable.LocalDateTime, unstable.LocalDate:
	default:
		v.add(path, "must be a date or a date-time such as 2027-06-30T00:00:00Z")
	}
}

// duration checks an optional Duration and returns it (0 when absent or bad).
func (v *validator) duration(path string, d Duration) (time.Duration, bool) {
	if !v.ps.has(path) {
		return 0, false
	}
	parsed, err := time.ParseDuration(string(d))
	if err != nil {
		v.addf(path, "invalid duration %q (use for example 30s, 5m or 2h)", string(d))
		return 0, false
	}
	return parsed, true
}

// schema checks schema and says whether the rest is worth validating.
func (v *validator) schema(p *Profile) bool {
	if !v.ps.has("schema") {
		v.add("schema", "required")
		return true
	}
	if p.Schema != Schema {
		v.addf("schema", "unsupported schema %d, this version reads schema %d", p.Schema, Schema)
		return false
	}
	return true
}

func (v *validator) profile(p *Profile) {
	if !v.ps.has("serial") {
		v.add("serial", "required")
	} else if p.Serial <= 0 {
		v.add("serial", "must be greater than 0")
	}
	if v.ps.has("expires") {
		v.dateTime("expires")
	}
	if v.ps.has("default_language") && p.DefaultLanguage != "fr" && p.DefaultLanguage != "en" {
		v.add("default_language", `must be "fr" or "en"`)
	}
	v.schemes(p.AllowedSchemes)
	v.organisation(&p.Organisation)
	v.tunnel(&p.Tunnel)
	v.apps(p.Apps)
	v.linkList(p.Links)
	v.contacts(p.Contacts)
	v.assetList(p.Assets) // before pages and drills, whose bodies refer to assets
	v.pages(p.Pages)
	if p.Helpdesk != nil {
		v.helpdesk(p.Helpdesk)
	}
	v.drills(p.Drills)
}

// forbiddenSchemes can run code or read local files when a browser opens them; no profile
// may turn them into a link.
var forbiddenSchemes = map[string]bool{"file": true, "javascript": true, "data": true, "vbscript": true, "about": true, "blob": true}

func (v *validator) schemes(list []string) {
	v.allowedSchemes = map[string]bool{"http": true, "https": true}
	for i, s := range list {
		path := index("allowed_schemes", i)
		switch {
		case !validScheme(s):
			v.addf(path, "%q is not a valid URL scheme", s)
		case strings.ToLower(s) != s:
			v.add(path, "must be lower case")
		case s == "http" || s == "https":
			v.addf(path, "%q is always allowed, remove it", s)
		case forbiddenSchemes[s]:
			v.addf(path, "scheme %q is never allowed", s)
		default:
			v.allowedSchemes[s] = true
		}
	}
}

// validScheme follows RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func (v *validator) organisation(o *Organisation) {
	if !v.ps.has("organisation") {
		v.add("organisation", "required")
		return
	}
	v.text("organisation.name", o.Name, true)
	if v.ps.has("organisation.profile_url") {
		v.webURL("organisation.profile_url", o.ProfileURL)
	}
}

// webURL checks a URL Relais itself fetches or posts to: https, or http on a loopback host
// (the demo office and tests), never credentials in the URL.
func (v *validator) webURL(path, s string) {
	if !v.str(path, s) {
		return
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Hostname() == "" {
		v.add(path, "must be an absolute https URL")
		return
	}
	if u.User != nil {
		v.add(path, "must not contain a user name or password")
		return
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		v.add(path, "must use https (http only on a loopback host)")
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func (v *validator) tunnel(t *Tunnel) {
	if !v.ps.has("tunnel") {
		v.add("tunnel", "required")
		return
	}
	if v.str("tunnel.endpoint", t.Endpoint) {
		if msg := hostPortProblem(t.Endpoint); msg != "" {
			v.add("tunnel.endpoint", msg)
		}
	}
	if v.str("tunnel.server_public_key", t.ServerPublicKey) {
		if k, err := base64.StdEncoding.DecodeString(t.ServerPublicKey); err != nil || len(k) != 32 {
			v.add("tunnel.server_public_key", "must be a base64 WireGuard public key (32 bytes)")
		}
	}
	for i, a := range t.Address {
		if _, err := netip.ParsePrefix(a); err != nil {
			v.addf(index("tunnel.address", i), "invalid prefix %q (use CIDR such as 10.20.0.5/32)", a)
		}
	}
	if !v.ps.has("tunnel.allowed_ips") {
		v.add("tunnel.allowed_ips", "required")
	} else if len(t.AllowedIPs) == 0 {
		v.add("tunnel.allowed_ips", "must not be empty")
	}
	for i, a := range t.AllowedIPs {
		if _, err := netip.ParsePrefix(a); err != nil {
			v.addf(index("tunnel.allowed_ips", i), "invalid prefix %q (use CIDR such as 10.20.0.0/16)", a)
		}
	}
	for i, a := range t.DNS {
		if _, err := netip.ParseAddr(a); err != nil {
			v.addf(index("tunnel.dns", i), "invalid IP address %q", a)
		}
	}
	for i, d := range t.DNSDomains {
		if !isDNSName(d) {
			v.addf(index("tunnel.dns_domains", i), "invalid DNS name %q", d)
		}
	}
	if v.ps.has("tunnel.mtu") && (t.MTU < 576 || t.MTU > 9000) {
		v.add("tunnel.mtu", "must be between 576 and 9000")
	}
	if t.PersistentKeepalive < 0 || t.PersistentKeepalive > 65535 {
		v.add("tunnel.persistent_keepalive", "must be between 0 and 65535")
	}
}

// hostPortProblem returns what is wrong with host:port, or "".
func hostPortProblem(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "must be host:port"
	}
	if host == "" {
		return "host must not be empty"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port must be between 1 and 65535"
	}
	if _, err := netip.ParseAddr(host); err != nil && !isDNSName(host) {
		return fmt.Sprintf("invalid host %q", host)
	}
	return ""
}

// isDNSName accepts host names, with underscores for service names (_ldap._tcp) and an
// optional final dot.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func isBuiltin(id string) bool {
	return id == BuiltinTunnel || id == BuiltinInternet || id == BuiltinCaptive
}

func (v *validator) apps(apps []App) {
	if len(apps) == 0 {
		v.add("apps", "at least one app is required")
	}
	if len(apps) > MaxApps {
		v.addAt("apps", index("apps", MaxApps), fmt.Sprintf("too many apps: %d, the limit is %d", len(apps), MaxApps))
	}
	total := 0
	for _, a := range apps {
		total += len(a.Checks)
	}

	v.appIDs = make(map[string]int)
	v.checkIDs = make(map[string]string)
	seen := make(map[string]string)
	for i, a := range apps {
		path := index("apps", i)
		if isBuiltin(a.ID) {
			v.addf(path+".id", "%q is reserved for the built-in check", a.ID)
		} else if v.id(path+".id", a.ID, "app", seen) {
			v.appIDs[a.ID] = i
		}
	}

	n := 0
	for i, a := range apps {
		path := index("apps", i)
		v.text(path+".name", a.Name, true)
		v.oneOf(path+".criticality", a.Criticality, "essential", "important", "optional")
		for j, r := range a.Requires {
			rp := index(path+".requires", j)
			switch {
			case r == a.ID:
				v.add(rp, "an app cannot require itself")
			case isBuiltin(r):
			default:
				if _, ok := v.appIDs[r]; !ok {
					v.addf(rp, "unknown app %q", r)
				}
			}
		}
		if len(a.Checks) == 0 {
			v.add(path+".checks", "at least one check is required")
		}
		for j := range a.Checks {
			cp := index(path+".checks", j)
			n++
			if n == MaxChecks+1 {
				v.addAt("apps", cp, fmt.Sprintf("too many checks: %d, the limit is %d across all apps", total, MaxChecks))
			}
			v.check(cp, &a.Checks[j])
		}
	}
	v.cycles(apps)
}

// cycles reports each dependency cycle once, on the app where a depth-first walk in file
// order enters it, so the same file always gives the same message.
func (v *validator) cycles(apps []App) {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(apps))
	var stack []int
	reported := 0
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		for _, r := range apps[i].Requires {
			j, ok := v.appIDs[r]
			if !ok || j == i {
				continue
			}
			switch color[j] {
			case white:
				visit(j)
			case grey:
				// A dense graph has as many cycles as edges, each as long as the
				// stack: beyond what the error list can show, they only cost memory.
				if reported == MaxErrors {
					continue
				}
				reported++
				start := 0
				for k, s := range stack {
					if s == j {
						start = k
					}
				}
				ids := make([]string, 0, len(stack)-start+1)
				for _, s := range stack[start:] {
					ids = append(ids, apps[s].ID)
				}
				ids = append(ids, apps[j].ID)
				v.add(index("apps", j)+".requires", "dependency cycle: "+strings.Join(ids, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	for i := range apps {
		if _, ok := v.appIDs[apps[i].ID]; ok && v.appIDs[apps[i].ID] == i && color[i] == white {
			visit(i)
		}
	}
}

func (v *validator) check(path string, c *Check) {
	if v.str(path+".id", c.ID) {
		if !validID(c.ID) {
			v.add(path+".id", "must match [a-z0-9][a-z0-9-]* (at most 64 characters)")
		} else if first, dup := v.checkIDs[c.ID]; dup {
			v.addf(path+".id", "duplicate check id %q (first on line %d)", c.ID, v.ps.line(first))
		} else {
			v.checkIDs[c.ID] = path + ".id"
		}
	}
	typeOK := v.oneOf(path+".type", c.Type, "http", "tcp", "dns", "tls")
	if v.str(path+".target", c.Target) && typeOK {
		if msg := targetProblem(c.Type, c.Target); msg != "" {
			v.add(path+".target", msg)
		}
	}
	v.via(path+".via", c.Via)
	if typeOK {
		for j, cond := range c.Conditions {
			if msg := conditionProblem(c.Type, c.Target, cond); msg != "" {
				v.add(index(path+".conditions", j), msg)
			}
		}
		for j, cond := range c.DegradedIf {
			if msg := conditionProblem(c.Type, c.Target, cond); msg != "" {
				v.add(index(path+".degraded_if", j), msg)
			}
		}
	}
	if d, ok := v.duration(path+".timeout", c.Timeout); ok && (d <= 0 || d > time.Minute) {
		v.add(path+".timeout", "must be greater than 0 and at most 60s")
	}
	if c.Retries < 0 || c.Retries > 10 {
		v.add(path+".retries", "must be between 0 and 10")
	}
}

// targetProblem checks a check's target against its type.
func targetProblem(typ, target string) string {
	switch typ {
	case "http":
		u, err := url.Parse(target)
		switch {
		case err != nil:
			return "invalid URL"
		case !u.IsAbs():
			return "must be an absolute URL"
		case u.Scheme != "http" && u.Scheme != "https":
			return "scheme must be http or https"
		case u.Hostname() == "":
			return "URL must have a host"
		}
	case "tcp", "tls":
		return hostPortProblem(target)
	case "dns":
		if !isDNSName(target) {
			return "must be a DNS name"
		}
	}
	return ""
}

func (v *validator) linkList(links []Link) {
	v.linkIDs = make(map[string]bool)
	seen := make(map[string]string)
	for i := range links {
		l := &links[i]
		path := index("links", i)
		if v.id(path+".id", l.ID, "link", seen) {
			v.linkIDs[l.ID] = true
		}
		v.text(path+".name", l.Name, true)
		v.text(path+".description", l.Description, false)
		if v.str(path+".url", l.URL) {
			if msg := v.linkURLProblem(l.URL); msg != "" {
				v.add(path+".url", msg)
			}
		}
		v.via(path+".via", l.Via)
		for j, need := range l.Needs {
			if _, ok := v.appIDs[need]; !ok {
				v.addf(index(path+".needs", j), "unknown app %q", need)
			}
		}
	}
}

// linkURLProblem: links are opened by the system, so the scheme decides which program runs;
// only the web and the schemes the organisation listed may.
func (v *validator) linkURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "invalid URL"
	case !u.IsAbs():
		return "must be an absolute URL"
	case !v.allowedSchemes[u.Scheme]:
		return fmt.Sprintf("scheme %q is not allowed (http, https or allowed_schemes)", u.Scheme)
	case u.User != nil:
		return "must not contain a user name or password"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() == "":
		return "URL must have a host"
	}
	return ""
}

func (v *validator) contacts(contacts []Contact) {
	for i := range contacts {
		c := &contacts[i]
		path := index("contacts", i)
		v.oneOf(path+".role", c.Role, "helpdesk", "ambassador", "coordinator")
		v.text(path+".name", c.Name, true)
		if strings.TrimSpace(c.Phone) == "" && strings.TrimSpace(c.Email) == "" {
			v.add(path, "needs a phone or an email")
		}
		if c.Phone != "" && !validPhone(c.Phone) {
			v.add(path+".phone", "may contain only digits, spaces and + - ( ) .")
		}
		if c.Email != "" && !validEmail(c.Email) {
			v.add(path+".email", "must be an email address")
		}
		v.text(path+".hours", c.Hours, false)
	}
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			return false
		}
	}
	return digits > 0
}

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.ContainsAny(s, " \t\r\n<>,;") &&
		!strings.Contains(domain, "@") && strings.Contains(strings.Trim(domain, "."), ".") && isDNSName(domain)
}

func (v *validator) assetList(assets []Asset) {
	v.assetIDs = make(map[string]bool)
	seen := make(map[string]string)
	for i := range assets {
		a := &assets[i]
		path := index("assets", i)
		if v.str(path+".id", a.ID) {
			if !validAssetID(a.ID) {
				v.add(path+".id", `must match [A-Za-z0-9._-]+ without ".."`)
			} else if first, dup := seen[a.ID]; dup {
				v.addf(path+".id", "duplicate asset id %q (first on line %d)", a.ID, v.ps.line(first))
			} else {
				seen[a.ID] = path + ".id"
				v.assetIDs[a.ID] = true
			}
		}
		v.webURL(path+".url", a.URL)
		if v.str(path+".sha256", a.SHA256) && !isLowerHex(a.SHA256, 64) {
			v.add(path+".sha256", "must be 64 lower-case hex digits")
		}
	}
}

// validAssetID: asset ids become file names in the store, so nothing that could climb out
// of a directory.
func validAssetID(s string) bool {
	if s == "." || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// assetRefs checks that every asset:<id> in a Markdown text names an asset.
func (v *validator) assetRefs(path string, t Text) {
	for _, lang := range [...]struct{ key, body string }{{"fr", t.FR}, {"en", t.EN}} {
		for _, ref := range AssetRefs(lang.body) {
			if !v.assetIDs[ref] {
				v.addf(path+"."+lang.key, "unknown asset %q", ref)
			}
		}
	}
}

func (v *validator) pages(pages []Page) {
	seen := make(map[string]string)
	for i := range pages {
		pg := &pages[i]
		path := index("pages", i)
		v.id(path+".id", pg.ID, "page", seen)
		v.text(path+".title", pg.Title, true)
		v.text(path+".body", pg.Body, true)
		v.assetRefs(path+".body", pg.Body)
	}
}

func (v *validator) helpdesk(h *Helpdesk) {
	if v.str("helpdesk.age_recipient", h.AgeRecipient) {
		switch _, err := age.ParseX25519Recipient(h.AgeRecipient); {
		case strings.HasPrefix(strings.ToUpper(h.AgeRecipient), "AGE-SECRET-KEY-"):
			// The profile is public: say plainly that a secret was published.
			v.add("helpdesk.age_recipient", "is an age secret key: publish its recipient (age1…) and replace the key")
		case err != nil:
			v.add("helpdesk.age_recipient", "must be an age X25519 recipient (age1…)")
		}
	}
	if v.ps.has("helpdesk.report_url") {
		v.webURL("helpdesk.report_url", h.ReportURL)
	}
	if v.ps.has("helpdesk.upload_url") {
		v.webURL("helpdesk.upload_url", h.UploadURL)
	}
}

func (v *validator) drills(drills []Drill) {
	if len(drills) > MaxDrills {
		v.addAt("drills", index("drills", MaxDrills), fmt.Sprintf("too many drills: %d, the limit is %d", len(drills), MaxDrills))
	}
	seen := make(map[string]string)
	for i := range drills {
		d := &drills[i]
		path := index("drills", i)
		v.id(path+".id", d.ID, "drill", seen)
		v.text(path+".title", d.Title, true)
		v.oneOf(path+".exercise", d.Exercise, "walkthrough", "tabletop", "simulation", "full")
		window := true
		for _, key := range []string{".opens", ".closes"} {
			if !v.ps.has(path + key) {
				v.add(path+key, "required")
				window = false
			} else {
				v.dateTime(path + key)
			}
		}
		if window && !d.Closes.After(d.Opens) {
			v.add(path+".closes", "must be after opens")
		}
		if !v.ps.has(path + ".rto") {
			v.add(path+".rto", "required")
		} else if rto, ok := v.duration(path+".rto", d.RTO); ok && rto <= 0 {
			v.add(path+".rto", "must be a duration greater than 0")
		}
		v.steps(path, d.Steps)
	}
}

func (v *validator) steps(drill string, steps []Step) {
	if len(steps) == 0 {
		v.add(drill+".steps", "at least one step is required")
	}
	if len(steps) > MaxStepsPerDrill {
		v.addAt(drill+".steps", index(drill+".steps", MaxStepsPerDrill), fmt.Sprintf("too many steps: %d, the limit is %d", len(steps), MaxStepsPerDrill))
	}
	seen := make(map[string]string)
	for i := range steps {
		s := &steps[i]
		path := index(drill+".steps", i)
		v.id(path+".id", s.ID, "step", seen)
		kindOK := v.oneOf(path+".kind", s.Kind, "instruction", "action", "check", "question")
		v.text(path+".title", s.Title, true)
		v.text(path+".body", s.Body, true)
		v.assetRefs(path+".body", s.Body)

		hasAction := v.ps.has(path + ".action")
		switch {
		case s.Kind == "action" && !hasAction:
			v.add(path+".action", "required for action steps")
		case s.Kind == "action":
			if msg := v.actionProblem(s.Action); msg != "" {
				v.add(path+".action", msg)
			}
		case kindOK && hasAction:
			v.add(path+".action", "only allowed on action steps")
		}

		if s.Kind == "check" && len(s.Checks) == 0 {
			v.add(path+".checks", "required for check steps")
		}
		for j, c := range s.Checks {
			if _, ok := v.checkIDs[c]; !ok {
				v.addf(index(path+".checks", j), "unknown check %q", c)
			}
		}
		if d, ok := v.duration(path+".expected", s.Expected); ok && d <= 0 {
			v.add(path+".expected", "must be a duration greater than 0")
		}
		if v.ps.has(path+".choices") && kindOK && s.Kind != "question" {
			v.add(path+".choices", "only allowed on question steps")
		}
		for j, c := range s.Choices {
			v.text(index(path+".choices", j), c, true)
		}
	}
}

func (v *validator) actionProblem(action string) string {
	switch {
	case action == ActionTunnelUp, action == ActionRunChecks:
		return ""
	case strings.HasPrefix(action, ActionOpenLink+":"):
		id := strings.TrimPrefix(action, ActionOpenLink+":")
		if !v.linkIDs[id] {
			return fmt.Sprintf("unknown link %q", id)
		}
		return ""
	}
	return "must be tunnel_up, run_checks or open_link:<link id>"
}
