package backend

// Enrolment on the emergency gateway (relais enrol, the app's "Enrôler ce
// poste"): the device's key is made (or kept) here, only its public half
// and the setup secret go to the organisation's server, and the server's
// answer (the tunnel addresses, and a signed grant when the profile names
// its key) becomes the identity. A refusal is an *enrolment.Error and
// changes nothing.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"aead.dev/minisign"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/redact"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// Deadlines of the enrolment server's endpoints.
const (
	EnrolTimeout       = 15 * time.Second
	EnrolStatusTimeout = 5 * time.Second
	// EnrolStatusEvery is how often, at most, a failing handshake asks
	// the server whether this device was revoked.
	EnrolStatusEvery = time.Minute
)

// Laptop-side enrolment codes beside the contract's.
const (
	// CodeIdentityImported: the device's identity was imported from IT's
	// .conf; enrolment replaces it only when asked (Replace).
	CodeIdentityImported = "identity_imported"
	// CodeBadGrantKey: the profile's [enrolment] public_key is one of the
	// keys that sign the profile: a grant signed with it is refused.
	CodeBadGrantKey = "bad_grant_key"
)

// EnrolCodes are every code of an enrolment refusal a front end words
// (enrol.error.CODE): the server's, the contract's laptop-side ones, and
// this package's.
func EnrolCodes() []string {
	return append(enrolment.ServerCodes(),
		enrolment.CodeUnreachable, enrolment.CodeBadAnswer, enrolment.CodeServerKeyDiffer,
		enrolment.CodeNoURL, enrolment.CodeNoToken, CodeIdentityImported, CodeBadGrantKey)
}

// EnrolOptions are what an enrolment is given.
type EnrolOptions struct {
	// Code is a one-time code from the helpdesk (or a setup token); ""
	// uses the managed enrol_token.
	Code string
	// DeviceName names the device for IT; "" is the host name.
	DeviceName string
	// Replace allows replacing an identity imported from a .conf.
	Replace bool
}

// EnrolResult is what an enrolment made.
type EnrolResult struct {
	Identity store.Identity
	Host     string // the server's host, as the front ends name it
	// Reused: the keyring's key was kept (a retry, or an adopted key).
	Reused bool
	// Granted: the server signed a grant that verified with the
	// profile's [enrolment] public_key.
	Granted bool
}

// EnrolPlan is where an enrolment would go and with what: what a front
// end shows before asking (the app offers enrolment when URL is set).
type EnrolPlan struct {
	URL      string // "" when neither the managed configuration nor the profile gives one
	Host     string
	HasToken bool // a managed enrol_token: no code to ask for
}

// EnrolPlan is this machine's enrolment plan, from memory and the store.
func (m *Machine) EnrolPlan(ctx context.Context) EnrolPlan {
	var plan EnrolPlan
	p, _ := m.cachedProfile(ctx)
	plan.URL = m.enrolURL(p)
	plan.Host = urlHost(plan.URL)
	plan.HasToken = m.Managed != nil && m.Managed.EnrolToken != ""
	return plan
}

// cachedProfile is the cached profile, nil when there is none (or this
// binary cannot read it).
func (m *Machine) cachedProfile(ctx context.Context) (*profile.Profile, error) {
	c, err := m.Policy().Current(ctx)
	if err != nil {
		return nil, err
	}
	return c.Profile, nil
}

// enrolURL is the managed enrol_url, else the profile's [enrolment] url.
func (m *Machine) enrolURL(p *profile.Profile) string {
	if m.Managed != nil && m.Managed.EnrolURL != "" {
		return m.Managed.EnrolURL
	}
	if p != nil && p.Enrolment != nil {
		return p.Enrolment.URL
	}
	return ""
}

func urlHost(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}

func enrolFail(code, format string, args ...any) *enrolment.Error {
	return &enrolment.Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Enrol enrols this device on the organisation's server. The private key
// is the keyring's when the store has no identity, an adopted one or an
// enrolled one (a retry after a lost answer is the same request again);
// otherwise a new one made here. It goes to the keyring only once the
// server's answer is checked: a refusal (an *enrolment.Error) leaves the
// previous identity as it was. Keyring and store failures are
// *frontend.IdentityError.
func (m *Machine) Enrol(ctx context.Context, opt EnrolOptions) (EnrolResult, error) {
	p, err := m.cachedProfile(ctx)
	if err != nil && !errors.Is(err, ErrNoProfile) {
		return EnrolResult{}, frontend.Wrap(err, "cli.store.read", err.Error())
	}
	raw := m.enrolURL(p)
	if raw == "" {
		return EnrolResult{}, enrolFail(enrolment.CodeNoURL, "neither enrol_url nor the profile's [enrolment] url")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return EnrolResult{}, enrolFail(enrolment.CodeNoURL, "enrolment URL %s is not a URL", redact.URL(raw))
	}
	res := EnrolResult{Host: u.Host}
	secret := strings.TrimSpace(opt.Code)
	if secret == "" && m.Managed != nil {
		secret = m.Managed.EnrolToken
	}
	if secret == "" {
		return res, enrolFail(enrolment.CodeNoToken, "no code given and no managed enrol_token")
	}
	if !strings.HasPrefix(secret, enrolment.TokenPrefix) {
		secret = enrolment.NormalizeSecret(secret) // a code as read over the phone
	}
	grantKey, hasGrantKey, err := m.grantKey(p)
	if err != nil {
		return res, err
	}
	name := opt.DeviceName
	if name == "" {
		name, _ = os.Hostname()
	}
	name = enrolment.DeviceName(name)

	v := m.Env.Vault()
	old, err := ReadVault(v)
	if err != nil {
		return res, m.keyringError(err)
	}
	id, err := m.StoredIdentity(ctx, old.priv)
	if err != nil {
		return res, idError(frontend.IdentityErrStore, err, frontend.Errorf("cli.store.read", err.Error()))
	}
	var priv tunnel.Key
	switch {
	case old.priv != nil && (id == nil || (PublicKey(*old.priv) == id.PublicKey && (id.Source == SourceAdopted || id.Source == store.SourceEnrolled))):
		priv, res.Reused = *old.priv, true
	case id != nil && id.Source != "generated" && id.Source != SourceAdopted && id.Source != store.SourceEnrolled && !opt.Replace:
		return res, enrolFail(CodeIdentityImported, "the identity was imported from %s", id.Source)
	default:
		k, err := wgtypes.GeneratePrivateKey()
		if err != nil {
			return res, idError(frontend.IdentityErrFailed, err, frontend.Errorf("cli.key.generate.failed", err.Error()))
		}
		priv = tunnel.Key(k)
	}
	data, err := m.enrolAsk(ctx, u, secret, priv, name)
	if enrolment.Code(err) == enrolment.CodeRevoked && res.Reused && enrolment.IsCode(secret) {
		// The key kept was revoked by IT, and the helpdesk gave a code to
		// enrol again: a new key (the server refuses a revoked key before
		// it spends the code). A managed setup token never does this: a
		// revoked device is enrolled again only through the helpdesk.
		k, gerr := wgtypes.GeneratePrivateKey()
		if gerr != nil {
			return res, idError(frontend.IdentityErrFailed, gerr, frontend.Errorf("cli.key.generate.failed", gerr.Error()))
		}
		priv, res.Reused = tunnel.Key(k), false
		data, err = m.enrolAsk(ctx, u, secret, priv, name)
	}
	if err != nil {
		return res, err
	}
	pub := PublicKey(priv)
	answer, addrs, err := enrolment.ParseResponse(data)
	if err != nil {
		m.logEnrol(fmt.Sprintf("enrolment at %s: the answer was refused: %v", u.Host, err))
		return res, err
	}
	if p != nil && answer.ServerPublicKey != p.Tunnel.ServerPublicKey {
		m.logEnrol(fmt.Sprintf("enrolment at %s: the server manages the gateway %s, the profile's tunnel is %s", u.Host, answer.ServerPublicKey, p.Tunnel.ServerPublicKey))
		return res, enrolFail(enrolment.CodeServerKeyDiffer, "server_public_key %s, the profile's is %s", answer.ServerPublicKey, p.Tunnel.ServerPublicKey)
	}
	if hasGrantKey {
		granted, err := enrolment.VerifyGrant([]byte(answer.Grant), []byte(answer.GrantSignature), grantKey, pub)
		if err == nil && !enrolment.SameAddresses(granted, addrs) {
			err = enrolFail(enrolment.CodeBadAnswer, "the grant's addresses are not the answer's")
		}
		if err != nil {
			m.logEnrol(fmt.Sprintf("enrolment at %s: the grant was refused: %v", u.Host, err))
			return res, err
		}
		res.Granted = true
	}
	saved := store.Identity{PublicKey: pub, Source: store.SourceEnrolled, CreatedAt: m.Env.Now(),
		EnrolURL: raw, Grant: answer.Grant, GrantSignature: answer.GrantSignature}
	for _, a := range addrs {
		saved.Addresses = append(saved.Addresses, a.String())
	}
	if res.Reused && id != nil && id.Source == store.SourceEnrolled && id.PublicKey == pub {
		saved.CreatedAt = id.CreatedAt // the same enrolment, confirmed
	}
	if _, err := m.saveIdentityAs(ctx, v, old, priv, nil, saved); err != nil {
		return res, err
	}
	m.forgetEnrolStatus()
	res.Identity = saved
	_ = m.DB.LogEvent(ctx, "identity", fmt.Sprintf("enrolled at %s as %q: public key %s, addresses %s", u.Host, name, pub, strings.Join(saved.Addresses, ", ")))
	return res, nil
}

// enrolAsk POSTs one enrolment request for priv's public key and returns
// the 2xx answer's body; a refusal is its *enrolment.Error.
func (m *Machine) enrolAsk(ctx context.Context, u *url.URL, secret string, priv tunnel.Key, name string) ([]byte, error) {
	body, _ := json.Marshal(enrolment.Request{Token: secret, PublicKey: PublicKey(priv), DeviceName: name})
	data, status, err := m.enrolPost(ctx, u, body, EnrolTimeout)
	if err != nil {
		m.logEnrol(fmt.Sprintf("enrolment at %s failed: %v", u.Host, err))
		return nil, err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		err := refusal(status, data)
		m.logEnrol(fmt.Sprintf("enrolment at %s refused (HTTP %d): %s", u.Host, status, enrolment.Code(err)))
		return nil, err
	}
	return data, nil
}

// grantKey is the profile's [enrolment] public_key, if any; one of the
// profile's own keys is refused (CodeBadGrantKey).
func (m *Machine) grantKey(p *profile.Profile) (minisign.PublicKey, bool, error) {
	if p == nil || p.Enrolment == nil || p.Enrolment.PublicKey == "" {
		return minisign.PublicKey{}, false, nil
	}
	k, err := profile.ParseTrustedKey(p.Enrolment.PublicKey)
	if err != nil {
		return k, false, enrolFail(CodeBadGrantKey, "[enrolment] public_key: %v", err)
	}
	for _, t := range m.profileKeys() {
		if t.Equal(k) {
			return k, false, enrolFail(CodeBadGrantKey, "[enrolment] public_key is a key that signs the profile")
		}
	}
	return k, true, nil
}

// refusal is the coded error of a non-2xx answer: the server's code, else
// unavailable for a 5xx (a proxy in front of it), else a bad answer.
func refusal(status int, data []byte) error {
	if code := enrolment.ParseErrorBody(data); code != "" {
		return enrolFail(code, "HTTP %d", status)
	}
	if status >= 500 {
		return enrolFail(enrolment.CodeUnavailable, "HTTP %d without a coded reason", status)
	}
	return enrolFail(enrolment.CodeBadAnswer, "HTTP %d without a coded reason", status)
}

func (m *Machine) logEnrol(what string) {
	_ = m.DB.LogEvent(context.Background(), "enrolment", what)
}

// enrolClient is the HTTP client of the enrolment endpoints: the
// environment's (tests), else one with the redirect policy of every fetch
// of the profile's sources (never from a remote server to this machine).
func (m *Machine) enrolClient() *http.Client {
	if m.Env.HTTPClient != nil {
		c := *m.Env.HTTPClient
		if c.CheckRedirect == nil {
			c.CheckRedirect = profilesync.CheckRedirect
		}
		return &c
	}
	return &http.Client{CheckRedirect: profilesync.CheckRedirect}
}

// enrolPost POSTs body to u within timeout and reads at most
// enrolment.MaxResponseBytes of the answer. A failure to get an answer is
// CodeUnreachable (the URL redacted, the secret never in it: it is in the
// body).
func (m *Machine) enrolPost(ctx context.Context, u *url.URL, body []byte, timeout time.Duration) ([]byte, int, error) {
	if err := profilesync.CheckFetchURL(u); err != nil {
		return nil, 0, enrolFail(enrolment.CodeNoURL, "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, 0, enrolFail(enrolment.CodeNoURL, "%s: %v", redact.URL(u.String()), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := m.enrolClient().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redact.URL(ue.URL)
		}
		return nil, 0, &enrolment.Error{Code: enrolment.CodeUnreachable, Detail: err.Error()}
	}
	defer resp.Body.Close()
	if resp.ContentLength > enrolment.MaxResponseBytes {
		return nil, resp.StatusCode, enrolFail(enrolment.CodeBadAnswer, "the answer announces %d bytes (limit %d)", resp.ContentLength, enrolment.MaxResponseBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, enrolment.MaxResponseBytes+1))
	if err != nil {
		return nil, resp.StatusCode, enrolFail(enrolment.CodeUnreachable, "reading the answer: %v", err)
	}
	if len(data) > enrolment.MaxResponseBytes {
		return nil, resp.StatusCode, enrolFail(enrolment.CodeBadAnswer, "the answer is larger than %d bytes", enrolment.MaxResponseBytes)
	}
	return data, resp.StatusCode, nil
}

// statusURL is the status endpoint beside an enrolment URL
// (…/v1/enrol → …/v1/enrol/status).
func statusURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, enrolFail(enrolment.CodeNoURL, "enrolment URL %s is not a URL", redact.URL(raw))
	}
	s := *u
	s.Path = strings.TrimSuffix(u.Path, "/") + "/status"
	s.RawPath, s.RawQuery, s.Fragment = "", "", ""
	return &s, nil
}

// EnrolmentStatus asks the enrolment server whether this device's key is
// still enrolled: enrolment.StatusActive, StatusRevoked or StatusUnknown.
// The server is the one the identity was enrolled at, else this machine's
// enrolment URL. Its errors are *enrolment.Error (CodeNoURL without a
// server; an identity is needed: ErrNoIdentity).
func (m *Machine) EnrolmentStatus(ctx context.Context) (string, error) {
	id, err := m.DB.Identity(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return "", m.identityError(ErrNoIdentity)
	}
	if err != nil {
		return "", frontend.Wrap(err, "cli.store.read", err.Error())
	}
	raw := id.EnrolURL
	if raw == "" {
		p, _ := m.cachedProfile(ctx)
		raw = m.enrolURL(p)
	}
	if raw == "" {
		return "", enrolFail(enrolment.CodeNoURL, "neither the identity, enrol_url nor the profile names an enrolment server")
	}
	u, err := statusURL(raw)
	if err != nil {
		return "", err
	}
	body, _ := json.Marshal(enrolment.StatusRequest{PublicKey: id.PublicKey})
	data, code, err := m.enrolPost(ctx, u, body, EnrolStatusTimeout)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", refusal(code, data)
	}
	return parseStatus(data)
}

// parseStatus reads a status answer: one of the three statuses, else
// CodeBadAnswer (unknown fields are left for a newer server).
func parseStatus(data []byte) (string, error) {
	var st enrolment.StatusResponse
	if len(data) > enrolment.MaxResponseBytes {
		return "", enrolFail(enrolment.CodeBadAnswer, "status: %d bytes", len(data))
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return "", enrolFail(enrolment.CodeBadAnswer, "status: %v", err)
	}
	switch st.Status {
	case enrolment.StatusActive, enrolment.StatusRevoked, enrolment.StatusUnknown:
		return st.Status, nil
	}
	return "", enrolFail(enrolment.CodeBadAnswer, "status %q", clipText(st.Status))
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// enrolStatusCache remembers the last status answer, so that a failing
// handshake asks the server at most once every EnrolStatusEvery.
type enrolStatusCache struct {
	mu     sync.Mutex
	at     time.Time
	key    string
	status string
}

func (m *Machine) enrolStatusCache() *enrolStatusCache { return &m.enrolStatus }

func (m *Machine) forgetEnrolStatus() {
	c := m.enrolStatusCache()
	c.mu.Lock()
	c.at, c.key, c.status = time.Time{}, "", ""
	c.mu.Unlock()
}

// Revoked reports whether the enrolment server says this device's key
// was revoked: asked only for an enrolled identity, at most once every
// EnrolStatusEvery (the answer is kept meanwhile; an unanswered question
// counts as not revoked, and is not asked again before the minute is out).
func (m *Machine) Revoked(ctx context.Context) bool {
	id, err := m.DB.Identity(ctx)
	if err != nil || id.Source != store.SourceEnrolled {
		return false
	}
	c := m.enrolStatusCache()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := m.Env.Now()
	if c.key == id.PublicKey && !c.at.IsZero() && now.Sub(c.at) < EnrolStatusEvery && !now.Before(c.at) {
		return c.status == enrolment.StatusRevoked
	}
	st, err := m.EnrolmentStatus(ctx)
	if err != nil {
		m.logEnrol("enrolment status: " + err.Error())
		st = ""
	}
	c.at, c.key, c.status = now, id.PublicKey, st
	return st == enrolment.StatusRevoked
}

// EnrolError is err as a front end words it: an *enrolment.Error as the
// coded *frontend.Error enrol.error.CODE; any other error as is.
func EnrolError(err error) error {
	if code := enrolment.Code(err); code != "" {
		return frontend.Wrap(err, frontend.EnrolErrorPrefix+code)
	}
	return err
}
