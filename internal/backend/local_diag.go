package backend

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"relais/internal/config"
	"relais/internal/diag"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/redact"
	"relais/internal/store"
	"relais/internal/version"
)

// The diagnostics half of the backend: what the store and the engine know,
// handed to internal/diag, which collects the system and network facts,
// redacts, anonymises and writes the bundle.

const (
	diagHistory    = 7 * 24 * time.Hour // check history and log in a bundle
	diagMaxChecks  = 200_000
	diagMaxEvents  = 20_000
	maxBundleFile  = 64 << 20
	maxIdentityLen = 64 << 10
)

// HelpdeskOptions says whether the profile names a helpdesk recipient and
// an upload address.
func (d *Local) HelpdeskOptions() (canEncrypt, canUpload bool) {
	d.mu.Lock()
	p := d.prof.Profile
	d.mu.Unlock()
	if p == nil || p.Helpdesk == nil {
		return false, false
	}
	return p.Helpdesk.AgeRecipient != "", p.Helpdesk.UploadURL != ""
}

// diagInput gathers what the bundle says, from the store and the engine.
func (d *Local) diagInput(ctx context.Context) diag.Input {
	d.mu.Lock()
	lang, prof := d.lang, d.prof
	d.mu.Unlock()
	in := diag.Input{App: version.Get(), Language: lang, Settings: map[string]string{}}

	snap := d.Snapshot()
	if !d.Active() {
		// Mode urgence may run in another process (the app, relais up):
		// its last record.
		if l, err := LastLive(ctx, d.em.DB, d.env.Now); err == nil && l.Snapshot.Phase != "" {
			snap = l.Snapshot
		}
	}
	in.Snapshot = &snap

	if c, err := d.em.DB.CurrentProfile(ctx); err == nil {
		pf := &diag.ProfileFacts{Serial: c.Serial, Signature: prof.Signature, FetchedAt: c.CheckedAt, TOML: c.Bytes}
		if p := prof.Profile; p != nil {
			pf.Expires, pf.Expired = p.Expires, p.Expired(d.env.Now())
			in.Secrets = append(in.Secrets, urlSecrets(profileURLs(p)...)...)
		}
		switch src := d.m.Policy().Sources(); {
		case d.demo:
			pf.Source = "demo"
		case src.URL != "":
			pf.Source = src.URL
			in.Secrets = append(in.Secrets, urlSecrets(src.URL)...)
		default:
			pf.Source = src.File
		}
		in.Profile = pf
	}
	if recs, err := d.em.DB.ChecksSince(ctx, d.env.Now().Add(-diagHistory), diagMaxChecks); err == nil {
		in.Checks = recs
	}
	if runs, err := d.walker.Runs(ctx); err == nil {
		in.Drills = runs
	}
	s, locks := d.Settings(), d.Locks()
	in.Settings["language"] = s.Language
	in.Settings["autostart"] = strconv.FormatBool(s.Autostart)
	in.Settings["tunnel_mode"] = s.TunnelMode
	in.Settings["locked.autostart"] = strconv.FormatBool(locks.Autostart)
	in.Settings["locked.tunnel_mode"] = strconv.FormatBool(locks.TunnelMode)
	in.Settings["system_proxy"] = strconv.FormatBool(s.SystemProxy)
	in.Settings["locked.system_proxy"] = strconv.FormatBool(locks.SystemProxy)
	in.Settings["demo"] = strconv.FormatBool(d.demo)
	if m := d.m.Managed; m != nil && m.Path != "" {
		if b, err := ReadCapped(m.Path, 1<<20); err == nil {
			in.Managed = b
		}
		if m.EnrolToken != "" {
			// The managed file goes in the bundle: never its setup token.
			in.Secrets = append(in.Secrets, m.EnrolToken)
		}
	}
	if id, err := d.m.DB.Identity(ctx); err == nil {
		in.PublicKey = id.PublicKey
	}
	// The private key itself, when the keyring holds one, so that it is
	// scrubbed wherever it might appear.
	if key, err := d.env.Vault().PrivateKey(); err == nil {
		in.Secrets = append(in.Secrets, base64.StdEncoding.EncodeToString(key[:]))
	}
	in.Log = d.logLines(ctx, diagMaxEvents, d.env.Now().Add(-diagHistory))
	return in
}

// logLines is the app's log (the user's store and, in the demo, the demo
// store), oldest first.
func (d *Local) logLines(ctx context.Context, n int, since time.Time) []diag.LogLine {
	dbs := []*store.DB{d.em.DB}
	if d.m.DB != d.em.DB {
		dbs = append(dbs, d.m.DB)
	}
	var lines []diag.LogLine
	for _, db := range dbs {
		evs, err := db.Events(ctx, n)
		if err != nil {
			continue
		}
		for _, e := range evs {
			if e.At.Before(since) {
				continue
			}
			lines = append(lines, diag.LogLine{At: e.At, Source: e.Kind, Message: e.Message})
		}
	}
	slices.SortStableFunc(lines, func(a, b diag.LogLine) int { return a.At.Compare(b.At) })
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// profileURLs are every URL of a profile, where a token might hide.
func profileURLs(p *profile.Profile) []string {
	urls := []string{p.Organisation.ProfileURL}
	for _, a := range p.Assets {
		urls = append(urls, a.URL)
	}
	for _, l := range p.Links {
		urls = append(urls, l.URL)
	}
	for _, a := range p.Apps {
		for _, c := range a.Checks {
			urls = append(urls, c.Target)
		}
	}
	if h := p.Helpdesk; h != nil {
		urls = append(urls, h.ReportURL, h.UploadURL)
	}
	return urls
}

// urlSecrets are the values of URLs that may be secrets: passwords in the
// user information and every query value of 8 characters or more.
func urlSecrets(raw ...string) []string {
	var out []string
	for _, r := range raw {
		u, err := url.Parse(r)
		if err != nil {
			continue
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw)
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) >= 8 {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// diagDir is where a bundle goes when the person did not choose: their
// Downloads folder, else Documents, else Relais's data directory.
func (d *Local) diagDir() (string, error) {
	for _, sub := range []string{"Downloads", "Téléchargements", "Documents"} {
		p := filepath.Join(d.env.Home, sub)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() && d.env.Home != "" {
			return p, nil
		}
	}
	dir, err := config.DataDir(d.env.ConfigEnv())
	if err != nil {
		return "", err
	}
	dir = filepath.Join(dir, "diagnostics")
	return dir, os.MkdirAll(dir, 0o700)
}

// ExportDiagnostics writes a bundle into dir ("" the default folder) at
// level, encrypted to the profile's helpdesk when encrypt.
func (d *Local) ExportDiagnostics(dir, level string, encrypt bool) (frontend.DiagExport, error) {
	lv := diag.Level(level)
	switch lv {
	case diag.LevelNone, diag.LevelStandard, diag.LevelStrict:
	default:
		return frontend.DiagExport{}, frontend.Errorf("cli.diag.bad_level", level)
	}
	opt := diag.Options{Level: lv, Now: d.env.Now, CaseCode: diag.NewCaseCode()}
	if encrypt {
		d.mu.Lock()
		p := d.prof.Profile
		d.mu.Unlock()
		if p == nil || p.Helpdesk == nil || p.Helpdesk.AgeRecipient == "" {
			return frontend.DiagExport{}, frontend.Errorf("cli.diag.no_recipient")
		}
		opt.Recipient = p.Helpdesk.AgeRecipient
	}
	if dir == "" {
		var err error
		if dir, err = d.diagDir(); err != nil {
			return frontend.DiagExport{}, frontend.Errorf("cli.error.data_dir", err.Error())
		}
	}
	path := filepath.Join(dir, diag.FileName(opt.CaseCode, encrypt))
	return d.exportTo(path, opt)
}

// exportTo writes the bundle at path, through a temporary file renamed
// into place: a bundle is whole or absent.
func (d *Local) exportTo(path string, opt diag.Options) (frontend.DiagExport, error) {
	ctx, cancel := context.WithTimeout(d.ctx, time.Minute)
	defer cancel()
	in := d.diagInput(ctx)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".relais-diag-*")
	if err != nil {
		return frontend.DiagExport{}, frontend.Wrap(err, "cli.diag.write_failed", path, Coded(err))
	}
	defer os.Remove(tmp.Name())
	man, err := diag.Export(ctx, in, opt, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return frontend.DiagExport{}, frontend.Wrap(err, "cli.diag.write_failed", path, Coded(err))
	}
	fi, _ := os.Stat(path)
	out := frontend.DiagExport{Path: path, CaseCode: man.CaseCode, Encrypted: opt.Recipient != ""}
	if fi != nil {
		out.Size = fi.Size()
	}
	for _, f := range man.Failures {
		out.Failures = append(out.Failures, f.Name)
	}
	_ = d.m.DB.LogEvent(ctx, "diag", fmt.Sprintf("bundle %s written (%s, %d bytes, encrypted %t)", man.CaseCode, opt.Level, out.Size, out.Encrypted))
	return out, nil
}

// OpenBundle reads a bundle, with an age identity file for an encrypted
// one. Its errors name the app's controls, never a command-line flag.
func (d *Local) OpenBundle(path, identityFile string) (*diag.Bundle, error) {
	return OpenBundle(path, identityFile, "desk.diag.need_identity")
}

// DemoHelpdeskKey is the demo service desk's age identity file, which
// opens the demo's encrypted diagnostics; "" outside the demo, or before
// the demo office first ran.
func (d *Local) DemoHelpdeskKey() string {
	if !d.demo {
		return ""
	}
	path, err := d.env.DemoStorePath()
	if err != nil {
		return ""
	}
	key := DemoHelpdeskKeyPath(path)
	if _, err := os.Stat(key); err != nil {
		return ""
	}
	return key
}

// OpenBundle reads a bundle; needIdentity is the message key for an
// encrypted bundle given no identity (the CLI names its flag, the app its
// button).
func OpenBundle(path, identityFile, needIdentity string) (*diag.Bundle, error) {
	var ids []age.Identity
	if identityFile != "" {
		b, err := ReadCapped(identityFile, maxIdentityLen)
		if err == nil {
			ids, err = age.ParseIdentities(bytes.NewReader(b))
		}
		if err != nil {
			return nil, frontend.Errorf("cli.diag.bad_identity", identityFile, err.Error())
		}
	}
	b, err := ReadCapped(path, maxBundleFile)
	if err != nil {
		return nil, frontend.Wrap(err, "cli.diag.unreadable", path, Coded(err))
	}
	bundle, err := diag.Open(bytes.NewReader(b), ids)
	switch {
	case errors.Is(err, diag.ErrEncrypted) && identityFile == "":
		return nil, frontend.Errorf(needIdentity, path)
	case errors.Is(err, diag.ErrEncrypted):
		return nil, frontend.Errorf("cli.diag.wrong_identity", path)
	case err != nil:
		return nil, frontend.Wrap(err, "cli.diag.unreadable", path, Coded(err))
	}
	return bundle, nil
}

// RecentLog is the app's last n log lines, oldest first, secrets
// redacted (the log should hold none; this is the second line of defence).
func (d *Local) RecentLog(n int) ([]diag.LogLine, error) {
	lines := d.logLines(d.ctx, n, time.Time{})
	for i := range lines {
		lines[i].Message = redact.Text(lines[i].Message)
	}
	return lines, nil
}

// UploadBundle queues a bundle for the profile's upload_url (https, or
// http to this machine's loopback, as the profile allows: the demo);
// the outbox delivers it, keyed by its case code.
func (d *Local) UploadBundle(path string) error {
	d.mu.Lock()
	p := d.prof.Profile
	d.mu.Unlock()
	if p == nil || p.Helpdesk == nil || p.Helpdesk.UploadURL == "" {
		return frontend.Errorf("cli.diag.no_upload")
	}
	u, err := url.Parse(p.Helpdesk.UploadURL)
	if err != nil || (u.Scheme != "https" && (u.Scheme != "http" || !profile.IsLoopbackHost(u.Hostname()))) {
		return frontend.Errorf("cli.diag.upload_https")
	}
	b, err := ReadCapped(path, maxBundleFile)
	if err != nil {
		return frontend.Wrap(err, "cli.diag.unreadable", path, Coded(err))
	}
	code := caseCodeOf(filepath.Base(path))
	if code == "" {
		return frontend.Errorf("cli.diag.unreadable", path, "no case code in the name")
	}
	ctype := "application/zip"
	if strings.HasSuffix(path, ".age") {
		ctype = "application/octet-stream"
	}
	if err := d.out.Enqueue(d.ctx, "diag_bundle", code, p.Helpdesk.UploadURL, ctype, b); err != nil {
		return frontend.Errorf("cli.diag.upload_failed", err.Error())
	}
	d.wakeOutbox()
	return nil
}

// caseCodeOf finds the case code in a bundle's file name.
func caseCodeOf(name string) string {
	for i := 0; i+13 <= len(name); i++ {
		if c := name[i : i+13]; diag.ValidCaseCode(c) {
			return c
		}
	}
	return ""
}
