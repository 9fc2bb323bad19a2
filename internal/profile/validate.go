package profile

import (
	"encoding/base64"
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

func (v *validator) add(path, code string, args ...any) {
	v.addAt(path, path, problem(code, args...))
}

// addAt reports at path but on the line of another path, for errors about a whole list
// that are best shown where the list goes wrong (the 501st app).
func (v *validator) addAt(path, linePath string, p Problem) {
	v.errs = append(v.errs, newError(v.file, v.ps.line(linePath), path, p))
}

// addProblem reports p unless it is no problem.
func (v *validator) addProblem(path string, p Problem) {
	if !p.ok() {
		v.addAt(path, path, p)
	}
}

// str reports a missing or blank required string and says whether it is usable.
func (v *validator) str(path, s string) bool {
	if !v.ps.has(path) {
		v.add(path, "required")
		return false
	}
	if strings.TrimSpace(s) == "" {
		v.add(path, "empty")
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
	v.add(path, "one_of", Choices(allowed))
	return false
}

// via checks an optional via; absent means DefaultVia.
func (v *validator) via(path, s string) {
	if v.ps.has(path) && s != "tunnel" && s != "direct" {
		v.add(path, "via")
	}
}

// id checks a required identifier and that it is unique among seen; it returns whether the
// id is usable for references.
func (v *validator) id(path, s, what string, seen map[string]string) bool {
	if !v.str(path, s) {
		return false
	}
	if !validID(s) {
		v.add(path, "id_syntax")
		return false
	}
	if first, dup := seen[s]; dup {
		v.add(path, "duplicate_id", Word(what), s, v.ps.line(first))
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
		v.add(path, "date")
	}
}

// duration checks an optional Duration and returns it (0 when absent or bad).
func (v *validator) duration(path string, d Duration) (time.Duration, bool) {
	if !v.ps.has(path) {
		return 0, false
	}
	parsed, err := time.ParseDuration(string(d))
	if err != nil {
		v.add(path, "duration", string(d))
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
		v.add("schema", "schema", p.Schema, Schema)
		return false
	}
	return true
}

func (v *validator) profile(p *Profile) {
	if !v.ps.has("serial") {
		v.add("serial", "required")
	} else if p.Serial <= 0 {
		v.add("serial", "positive")
	}
	if v.ps.has("expires") {
		v.dateTime("expires")
	}
	if v.ps.has("default_language") && p.DefaultLanguage != "fr" && p.DefaultLanguage != "en" {
		v.add("default_language", "language")
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
	if p.Enrolment != nil {
		v.enrolment(p.Enrolment)
	}
	if p.Notices != nil {
		v.notices(p.Notices)
	}
	if p.Captive != nil {
		v.captive(p.Captive)
	}
	v.drills(p.Drills)
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
		v.add(path, "url_https")
		return
	}
	if u.User != nil {
		v.add(path, "url_userinfo")
		return
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !IsLoopbackHost(u.Hostname())) {
		v.add(path, "url_insecure")
	}
}

// IsLoopbackHost reports whether host, as written, is this machine's
// loopback: "localhost" (any case) or a loopback address literal. It is
// where plain http is allowed: a profile's web URLs, and what a sync
// fetches.
func IsLoopbackHost(host string) bool {
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
	v.endpoints(t)
	if v.str("tunnel.server_public_key", t.ServerPublicKey) {
		if k, err := base64.StdEncoding.DecodeString(t.ServerPublicKey); err != nil || len(k) != 32 {
			v.add("tunnel.server_public_key", "public_key")
		}
	}
	for i, a := range t.Address {
		if _, err := netip.ParsePrefix(a); err != nil {
			v.add(index("tunnel.address", i), "prefix", a, "10.20.0.5/32")
		}
	}
	for i, a := range t.AddressPool {
		if _, err := netip.ParsePrefix(a); err != nil {
			v.add(index("tunnel.address_pool", i), "prefix", a, "10.20.128.0/17")
		}
	}
	if !v.ps.has("tunnel.allowed_ips") {
		v.add("tunnel.allowed_ips", "required")
	} else if len(t.AllowedIPs) == 0 {
		v.add("tunnel.allowed_ips", "empty")
	}
	for i, a := range t.AllowedIPs {
		if _, err := netip.ParsePrefix(a); err != nil {
			v.add(index("tunnel.allowed_ips", i), "prefix", a, "10.20.0.0/16")
		}
	}
	for i, a := range t.DNS {
		if _, err := netip.ParseAddr(a); err != nil {
			v.add(index("tunnel.dns", i), "ip", a)
		}
	}
	for i, d := range t.DNSDomains {
		if !isDNSName(d) {
			v.add(index("tunnel.dns_domains", i), "dns_name_bad", d)
		}
	}
	if v.ps.has("tunnel.mtu") && (t.MTU < 576 || t.MTU > 9000) {
		v.add("tunnel.mtu", "range", 576, 9000)
	}
	if t.PersistentKeepalive < 0 || t.PersistentKeepalive > 65535 {
		v.add("tunnel.persistent_keepalive", "range", 0, 65535)
	}
}

// endpoints checks tunnel.endpoint and tunnel.endpoints: either may be
// given (endpoint alone is how every profile began), each a host:port,
// at most MaxEndpoints standby ones, none twice.
func (v *validator) endpoints(t *Tunnel) {
	if v.ps.has("tunnel.endpoint") || !v.ps.has("tunnel.endpoints") {
		if v.str("tunnel.endpoint", t.Endpoint) {
			v.addProblem("tunnel.endpoint", hostPortProblem(t.Endpoint))
		}
	}
	if !v.ps.has("tunnel.endpoints") {
		return
	}
	if len(t.Endpoints) == 0 && !v.ps.has("tunnel.endpoint") {
		v.add("tunnel.endpoints", "empty")
	}
	if len(t.Endpoints) > MaxEndpoints {
		v.addAt("tunnel.endpoints", index("tunnel.endpoints", MaxEndpoints), problem("too_many_endpoints", len(t.Endpoints), MaxEndpoints))
		return
	}
	seen := map[string]bool{strings.ToLower(t.Endpoint): t.Endpoint != ""}
	for i, e := range t.Endpoints {
		path := index("tunnel.endpoints", i)
		if strings.TrimSpace(e) == "" {
			v.add(path, "empty")
			continue
		}
		if pr := hostPortProblem(e); !pr.ok() {
			v.addProblem(path, pr)
			continue
		}
		if seen[strings.ToLower(e)] {
			v.add(path, "duplicate_endpoint", e)
			continue
		}
		seen[strings.ToLower(e)] = true
	}
}

// hostPortProblem returns what is wrong with host:port, if anything.
func hostPortProblem(s string) Problem {
	host, port, ok := splitHostPort(s)
	if !ok {
		return problem("host_port")
	}
	if host == "" {
		return problem("host_empty")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return problem("port_range")
	}
	if _, err := netip.ParseAddr(host); err != nil && !isDNSName(host) {
		return problem("host_invalid", host)
	}
	return Problem{}
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
		v.add("apps", "apps_none")
	}
	if len(apps) > MaxApps {
		v.addAt("apps", index("apps", MaxApps), problem("too_many_apps", len(apps), MaxApps))
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
			v.add(path+".id", "reserved_id", a.ID)
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
				v.add(rp, "self_require")
			case isBuiltin(r):
			default:
				if _, ok := v.appIDs[r]; !ok {
					v.add(rp, "unknown_app", r)
				}
			}
		}
		if len(a.Checks) == 0 {
			v.add(path+".checks", "checks_none")
		}
		for j := range a.Checks {
			cp := index(path+".checks", j)
			n++
			if n == MaxChecks+1 {
				v.addAt("apps", cp, problem("too_many_checks", total, MaxChecks))
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
				v.add(index("apps", j)+".requires", "cycle", strings.Join(ids, " -> "))
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
			v.add(path+".id", "id_syntax")
		} else if first, dup := v.checkIDs[c.ID]; dup {
			v.add(path+".id", "duplicate_id", Word("check"), c.ID, v.ps.line(first))
		} else {
			v.checkIDs[c.ID] = path + ".id"
		}
	}
	typeOK := v.oneOf(path+".type", c.Type, "http", "tcp", "dns", "tls")
	if v.str(path+".target", c.Target) && typeOK {
		p := targetProblem(c.Type, c.Target)
		if p.ok() && !c.AllowLocal && IsLocalName(CheckHost(c.Type, c.Target)) {
			p = problem("target_local", CheckHost(c.Type, c.Target))
		}
		v.addProblem(path+".target", p)
	}
	v.via(path+".via", c.Via)
	if typeOK {
		for j, cond := range c.Conditions {
			v.addProblem(index(path+".conditions", j), conditionCheck(c.Type, c.Target, cond))
		}
		for j, cond := range c.DegradedIf {
			v.addProblem(index(path+".degraded_if", j), conditionCheck(c.Type, c.Target, cond))
		}
	}
	if d, ok := v.duration(path+".timeout", c.Timeout); ok && (d <= 0 || d > time.Minute) {
		v.add(path+".timeout", "timeout_range")
	}
	if c.Retries < 0 || c.Retries > 10 {
		v.add(path+".retries", "range", 0, 10)
	}
}

// targetProblem checks a check's target against its type.
func targetProblem(typ, target string) Problem {
	switch typ {
	case "http":
		u, err := url.Parse(target)
		switch {
		case err != nil:
			return problem("url_invalid")
		case !u.IsAbs():
			return problem("url_absolute")
		case u.Scheme != "http" && u.Scheme != "https":
			return problem("scheme_target")
		case u.Hostname() == "":
			return problem("url_host")
		}
	case "tcp", "tls":
		return hostPortProblem(target)
	case "dns":
		if !isDNSName(target) {
			return problem("dns_name")
		}
	}
	return Problem{}
}

func (v *validator) contacts(contacts []Contact) {
	for i := range contacts {
		c := &contacts[i]
		path := index("contacts", i)
		v.oneOf(path+".role", c.Role, "helpdesk", "ambassador", "coordinator")
		v.text(path+".name", c.Name, true)
		if strings.TrimSpace(c.Phone) == "" && strings.TrimSpace(c.Email) == "" {
			v.add(path, "contact_reach")
		}
		if c.Phone != "" && !validPhone(c.Phone) {
			v.add(path+".phone", "phone")
		}
		if c.Email != "" && !validEmail(c.Email) {
			v.add(path+".email", "email")
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
	if len(assets) > MaxAssets {
		v.addAt("assets", index("assets", MaxAssets), problem("too_many_assets", len(assets), MaxAssets))
	}
	seen := make(map[string]string)
	for i := range assets {
		a := &assets[i]
		path := index("assets", i)
		if v.str(path+".id", a.ID) {
			if !validAssetID(a.ID) {
				v.add(path+".id", "asset_id")
			} else if first, dup := seen[a.ID]; dup {
				v.add(path+".id", "duplicate_id", Word("asset"), a.ID, v.ps.line(first))
			} else {
				seen[a.ID] = path + ".id"
				v.assetIDs[a.ID] = true
			}
		}
		v.webURL(path+".url", a.URL)
		if v.str(path+".sha256", a.SHA256) && !isLowerHex(a.SHA256, 64) {
			v.add(path+".sha256", "sha256")
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
				v.add(path+"."+lang.key, "unknown_asset", ref)
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
		v.bodyLinks(path+".body", pg.Body)
	}
}

func (v *validator) helpdesk(h *Helpdesk) {
	if v.str("helpdesk.age_recipient", h.AgeRecipient) {
		switch _, err := age.ParseX25519Recipient(h.AgeRecipient); {
		case strings.HasPrefix(strings.ToUpper(h.AgeRecipient), "AGE-SECRET-KEY-"):
			// The profile is public: say plainly that a secret was published.
			v.add("helpdesk.age_recipient", "age_secret")
		case err != nil:
			v.add("helpdesk.age_recipient", "age_recipient")
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
		v.addAt("drills", index("drills", MaxDrills), problem("too_many_drills", len(drills), MaxDrills))
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
			v.add(path+".closes", "closes_after")
		}
		if !v.ps.has(path + ".rto") {
			v.add(path+".rto", "required")
		} else if rto, ok := v.duration(path+".rto", d.RTO); ok && rto <= 0 {
			v.add(path+".rto", "duration_positive")
		}
		v.steps(path, d.Steps)
	}
}

func (v *validator) steps(drill string, steps []Step) {
	if len(steps) == 0 {
		v.add(drill+".steps", "steps_none")
	}
	if len(steps) > MaxStepsPerDrill {
		v.addAt(drill+".steps", index(drill+".steps", MaxStepsPerDrill), problem("too_many_steps", len(steps), MaxStepsPerDrill))
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
		v.bodyLinks(path+".body", s.Body)

		hasAction := v.ps.has(path + ".action")
		switch {
		case s.Kind == "action" && !hasAction:
			v.add(path+".action", "action_required")
		case s.Kind == "action":
			v.addProblem(path+".action", v.actionProblem(s.Action))
		case kindOK && hasAction:
			v.add(path+".action", "action_only")
		}

		if s.Kind == "check" && len(s.Checks) == 0 {
			v.add(path+".checks", "checks_required")
		}
		for j, c := range s.Checks {
			if _, ok := v.checkIDs[c]; !ok {
				v.add(index(path+".checks", j), "unknown_check", c)
			}
		}
		if d, ok := v.duration(path+".expected", s.Expected); ok && d <= 0 {
			v.add(path+".expected", "duration_positive")
		}
		if v.ps.has(path+".choices") && kindOK && s.Kind != "question" {
			v.add(path+".choices", "choices_only")
		}
		for j, c := range s.Choices {
			v.text(index(path+".choices", j), c, true)
		}
	}
}

func (v *validator) actionProblem(action string) Problem {
	switch {
	case action == ActionTunnelUp, action == ActionRunChecks:
		return Problem{}
	case strings.HasPrefix(action, ActionOpenLink+":"):
		id := strings.TrimPrefix(action, ActionOpenLink+":")
		if !v.linkIDs[id] {
			return problem("unknown_link", id)
		}
		return Problem{}
	}
	return problem("action")
}
