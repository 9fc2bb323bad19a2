// Package profile reads the continuity profile: the one signed TOML file in which an
// organisation's continuity team describes its tunnel, essential applications and their
// checks, emergency links, contacts, offline help pages, assets and drills (schema 1).
//
// It decodes a profile strictly (unknown keys are errors), validates every field and every
// reference, reports each problem as FILE:LINE: PATH: MESSAGE, verifies the minisign
// signature against the machine's trusted keys and applies the acceptance policy (rollback
// and expiry). It is pure: it never touches the network, the disk or the store, never
// keeps state between calls, and never decides what a person reads — front ends turn its
// sentinel errors into French or English.
package profile

import (
	"time"
)

// Schema is the only profile schema this version understands.
const Schema = 1

// Limits keep a hostile or broken profile from exhausting a laptop: they are checked before
// anything else is built from the file.
const (
	MaxProfileSize   = 1 << 20  // bytes of profile.toml
	MaxAssetSize     = 10 << 20 // bytes of one asset, enforced by whoever fetches it
	MaxApps          = 500
	MaxChecks        = 2000 // across all apps
	MaxDrills        = 100
	MaxStepsPerDrill = 200
)

// Built-in checks that apps may require without declaring them; app ids must not shadow them.
const (
	BuiltinTunnel   = "tunnel"
	BuiltinInternet = "internet"
	BuiltinCaptive  = "captive"
)

// Default values that Parse fills in when the profile leaves a field out.
const (
	DefaultLanguage = "fr"
	DefaultMTU      = 1280
	DefaultTimeout  = 5 * time.Second
	DefaultVia      = "tunnel"
)

// Text is something a person reads, always given in both languages.
type Text struct {
	FR string `toml:"fr" json:"fr"`
	EN string `toml:"en" json:"en"`
}

// In returns the text in lang: "en" gives English, anything else French, the default
// language of the public services Relais was written for. When the chosen translation is
// empty (only possible for optional texts) it falls back to the other one.
func (t Text) In(lang string) string {
	if lang == "en" {
		if t.EN != "" {
			return t.EN
		}
		return t.FR
	}
	if t.FR != "" {
		return t.FR
	}
	return t.EN
}

// IsZero reports whether neither translation is set, which is how optional texts say
// "absent".
func (t Text) IsZero() bool { return t.FR == "" && t.EN == "" }

// Duration is a Go duration written as a TOML string ("5s", "30m", "72h"). It keeps the
// text as written, so that a bad value is reported by Parse with its line, together with
// every other error, rather than aborting the decoder at the first one. After a successful
// Parse it always parses.
type Duration string

// Duration returns the parsed duration, or 0 when d is empty or invalid.
func (d Duration) Duration() time.Duration {
	v, err := time.ParseDuration(string(d))
	if err != nil {
		return 0
	}
	return v
}

// Profile is a decoded, validated continuity profile. Dates written without an offset
// (expires = 2027-06-30) are the laptop's local time, as go-toml decodes them: "until the
// 30th" then means the 30th wherever the agent is.
type Profile struct {
	Schema          int       `toml:"schema"`           // always Schema after Parse
	Serial          int64     `toml:"serial"`           // > 0, increases with every published version
	Expires         time.Time `toml:"expires"`          // zero when the profile never expires
	DefaultLanguage string    `toml:"default_language"` // "fr" or "en"; "fr" when absent
	AllowedSchemes  []string  `toml:"allowed_schemes"`  // extra URL schemes links may use (msteams, ica)

	Organisation Organisation `toml:"organisation"`
	Tunnel       Tunnel       `toml:"tunnel"`
	Apps         []App        `toml:"apps"`
	Links        []Link       `toml:"links"`
	Contacts     []Contact    `toml:"contacts"`
	Pages        []Page       `toml:"pages"`
	Assets       []Asset      `toml:"assets"`
	Helpdesk     *Helpdesk    `toml:"helpdesk"`  // nil when the profile has no [helpdesk]
	Notices      *Notices     `toml:"notices"`   // nil when the profile has no [notices]
	Enrolment    *Enrolment   `toml:"enrolment"` // nil when the profile has no [enrolment]
	Captive      *Captive     `toml:"captive"`   // nil when the profile has no [captive]
	Drills       []Drill      `toml:"drills"`

	// SHA256 is the lower-case hex SHA-256 of the exact bytes Parse was given; rollback
	// protection compares it, since equal serials are only acceptable for identical files.
	SHA256 string `toml:"-"`
}

// Organisation names who publishes the profile.
type Organisation struct {
	Name       Text   `toml:"name"`
	ProfileURL string `toml:"profile_url"` // optional; the signature is at the same URL + ".minisig"
}

// Tunnel is the WireGuard peer of the emergency environment.
type Tunnel struct {
	Endpoint            string   `toml:"endpoint"`             // host:port; optional when Endpoints is given
	Endpoints           []string `toml:"endpoints"`            // optional: standby gateways (host:port), tried in order after Endpoint
	ServerPublicKey     string   `toml:"server_public_key"`    // base64, 32 bytes
	Address             []string `toml:"address"`              // optional: the client's tunnel addresses (CIDR), when IT assigns them here
	AllowedIPs          []string `toml:"allowed_ips"`          // CIDR prefixes routed through the tunnel
	AddressPool         []string `toml:"address_pool"`         // optional: CIDR prefixes client addresses may come from (the helper and the server check it)
	DNS                 []string `toml:"dns"`                  // resolvers reached through the tunnel
	DNSDomains          []string `toml:"dns_domains"`          // names those resolvers answer for
	MTU                 int      `toml:"mtu"`                  // DefaultMTU when absent
	PersistentKeepalive int      `toml:"persistent_keepalive"` // seconds, 0 = off
}

// MaxEndpoints bounds tunnel.endpoints.
const MaxEndpoints = 8

// EndpointList is every endpoint of the gateway in the order the tunnel
// tries them: Endpoint, then Endpoints, each once.
func (t Tunnel) EndpointList() []string {
	var list []string
	seen := map[string]bool{}
	for _, e := range append([]string{t.Endpoint}, t.Endpoints...) {
		if e == "" || seen[e] {
			continue
		}
		seen[e] = true
		list = append(list, e)
	}
	return list
}

// App is an essential application and the checks that prove it answers.
type App struct {
	ID          string   `toml:"id"`
	Name        Text     `toml:"name"`
	Criticality string   `toml:"criticality"` // essential | important | optional
	Requires    []string `toml:"requires"`    // app ids or built-ins (tunnel, internet, captive)
	Checks      []Check  `toml:"checks"`
}

// Check is one probe of an app.
type Check struct {
	ID         string   `toml:"id"`     // unique across all apps
	Type       string   `toml:"type"`   // http | tcp | dns | tls
	Target     string   `toml:"target"` // http: URL; tcp, tls: host:port; dns: a name
	Via        string   `toml:"via"`    // tunnel | direct; DefaultVia when absent
	Conditions []string `toml:"conditions"`
	DegradedIf []string `toml:"degraded_if"`
	Timeout    Duration `toml:"timeout"` // DefaultTimeout when absent
	Retries    int      `toml:"retries"`
	AllowLocal bool     `toml:"allow_local"` // a target on loopback or link-local is refused without it
}

// Link is a link of the emergency environment.
type Link struct {
	ID          string   `toml:"id"`
	Name        Text     `toml:"name"`
	Description Text     `toml:"description"` // optional (zero when absent)
	URL         string   `toml:"url"`
	Via         string   `toml:"via"`   // tunnel | direct; DefaultVia when absent
	Needs       []string `toml:"needs"` // app ids that must be ok for the link to be useful
}

// Contact is a person or a desk to call.
type Contact struct {
	Role  string `toml:"role"` // helpdesk | ambassador | coordinator
	Name  Text   `toml:"name"`
	Phone string `toml:"phone"`
	Email string `toml:"email"`
	Hours Text   `toml:"hours"` // optional
}

// Page is an offline help page in Markdown; images refer to assets as ![…](asset:ID).
type Page struct {
	ID    string `toml:"id"`
	Title Text   `toml:"title"`
	Body  Text   `toml:"body"`
}

// Asset is a file (usually an image) fetched once and pinned by its SHA-256.
type Asset struct {
	ID     string `toml:"id"`     // also the name Markdown uses: asset:ID
	URL    string `toml:"url"`    // https, or http on a loopback host
	SHA256 string `toml:"sha256"` // lower-case hex; fetched bytes that differ are refused
}

// Helpdesk says where diagnostics and drill reports go.
type Helpdesk struct {
	AgeRecipient string `toml:"age_recipient"` // X25519 age recipient bundles are encrypted to
	ReportURL    string `toml:"report_url"`    // optional: drill reports are POSTed here
	UploadURL    string `toml:"upload_url"`    // optional: diagnostics bundle upload
}

// Notices says where the organisation's crisis notices and maintenance windows are published
// (internal/notices reads them) and the one key that signs them. That key is trusted for
// notices only: it can show text and mark apps as in maintenance, never change the tunnel, the
// checks or anything else of the profile, and the profile's own keys never sign notices.
type Notices struct {
	URL       string `toml:"url"`        // https (http on loopback); the signature is at URL + ".minisig"
	PublicKey string `toml:"public_key"` // a minisign public key ("RWQ…")
}

// Enrolment says where laptops enrol on the emergency gateway (the organisation's server,
// POST URL) and, optionally, the minisign key with which that server signs enrolment grants.
// With a key, the privileged helper brings up exactly the addresses a grant gives the device's
// key and nothing a caller chooses; that key is trusted for grants only, never for profiles.
type Enrolment struct {
	URL       string `toml:"url"`        // https (http on loopback): https://relais.example.org/v1/enrol
	PublicKey string `toml:"public_key"` // optional: a minisign public key ("RWQ…") signing grants
}

// DefaultCaptiveStatus is what a [captive] url must answer when expect_status is absent.
const DefaultCaptiveStatus = 204

// Captive says how the captive built-in probes for a captive portal: a GET of URL, without
// following redirects, must answer ExpectStatus. Without [captive] the probe uses the
// platform's usual endpoint (the one the operating system itself probes).
type Captive struct {
	URL          string `toml:"url"`           // http (so that a portal can intercept it) or https
	ExpectStatus int    `toml:"expect_status"` // 200–599; 0 when absent: DefaultCaptiveStatus
}

// Status is the status the probe must answer.
func (c *Captive) Status() int {
	if c == nil || c.ExpectStatus == 0 {
		return DefaultCaptiveStatus
	}
	return c.ExpectStatus
}

// Drill is a continuity exercise: an ordered list of steps open during a window.
type Drill struct {
	ID       string    `toml:"id"`
	Title    Text      `toml:"title"`
	Exercise string    `toml:"exercise"` // walkthrough | tabletop | simulation | full
	Opens    time.Time `toml:"opens"`
	Closes   time.Time `toml:"closes"` // after Opens
	RTO      Duration  `toml:"rto"`    // recovery-time objective, > 0
	Steps    []Step    `toml:"steps"`
}

// Step is one step of a drill.
type Step struct {
	ID       string   `toml:"id"`   // unique within the drill
	Kind     string   `toml:"kind"` // instruction | action | check | question
	Title    Text     `toml:"title"`
	Body     Text     `toml:"body"`
	Action   string   `toml:"action"` // action steps only: tunnel_up | run_checks | open_link:<link id>
	Checks   []string `toml:"checks"` // check ids that verify the step
	Required *bool    `toml:"required"`
	Expected Duration `toml:"expected"` // optional expected duration
	Choices  []Text   `toml:"choices"`  // question steps only; none means a free-text answer
}

// IsRequired reports whether the step must be done for the run to be complete: steps are
// required unless the profile says required = false.
func (s *Step) IsRequired() bool { return s.Required == nil || *s.Required }

// Action names of drill steps; open_link is followed by ":" and a link id.
const (
	ActionTunnelUp  = "tunnel_up"
	ActionRunChecks = "run_checks"
	ActionOpenLink  = "open_link"
)

// Expired reports whether the profile's expiry date has passed at now. An expired profile
// already in use stays in use (it is only marked expired), which is why this is separate
// from Accept.
func (p *Profile) Expired(now time.Time) bool {
	return !p.Expires.IsZero() && p.Expires.Before(now)
}

// App returns the app with that id, or nil.
func (p *Profile) App(id string) *App {
	for i := range p.Apps {
		if p.Apps[i].ID == id {
			return &p.Apps[i]
		}
	}
	return nil
}

// Check returns the check with that id, whichever app it belongs to, or nil.
func (p *Profile) Check(id string) *Check {
	for i := range p.Apps {
		for j := range p.Apps[i].Checks {
			if p.Apps[i].Checks[j].ID == id {
				return &p.Apps[i].Checks[j]
			}
		}
	}
	return nil
}

// Link returns the link with that id, or nil.
func (p *Profile) Link(id string) *Link {
	for i := range p.Links {
		if p.Links[i].ID == id {
			return &p.Links[i]
		}
	}
	return nil
}

// Asset returns the asset with that id, or nil.
func (p *Profile) Asset(id string) *Asset {
	for i := range p.Assets {
		if p.Assets[i].ID == id {
			return &p.Assets[i]
		}
	}
	return nil
}

// Drill returns the drill with that id, or nil.
func (p *Profile) Drill(id string) *Drill {
	for i := range p.Drills {
		if p.Drills[i].ID == id {
			return &p.Drills[i]
		}
	}
	return nil
}
