package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"relais/internal/backend"
	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/store"
)

type lintJSON struct {
	File   string      `json:"file"`
	Valid  bool        `json:"valid"`
	Serial int64       `json:"serial,omitempty"`
	Errors []lintError `json:"errors"`
}

type lintError struct {
	Line    int    `json:"line"`
	Path    string `json:"path"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func cmdProfileLint(r *run, args []string) int {
	fs := flag.NewFlagSet("relais profile lint", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.profile.lint.usage")
	}
	c, err := backend.LintProfileFile(pos[0])
	if err != nil {
		return r.fileFail(err)
	}
	if *asJSON {
		r.printJSON(lintJSON{File: c.File, Valid: c.Err == nil, Serial: c.Serial(), Errors: lintErrors(c.Err)})
		if c.Err != nil {
			return ExitUnhealthy
		}
		return ExitOK
	}
	if c.Err != nil {
		r.printProfileError(c.Err)
		return ExitUnhealthy
	}
	p := c.Profile
	r.out("cli.profile.lint.ok", c.File, p.Serial, len(p.Apps), len(p.Links), len(p.Drills))
	return ExitOK
}

// lintErrors are a profile's located problems, as --json prints them.
func lintErrors(err error) []lintError {
	list := []lintError{}
	for _, e := range profileErrors(err) {
		list = append(list, lintError{Line: e.Line, Path: e.Path, Code: e.Code, Message: e.Msg})
	}
	return list
}

// fileFail says why a file could not be read (or a key is not one): a
// profile too large to read is unhealthy, anything else a usage error.
func (r *run) fileFail(err error) int {
	if errors.Is(err, profile.ErrTooLarge) {
		return r.failErr(ExitUnhealthy, err)
	}
	return r.failErr(ExitUsage, err)
}

// printProfileError prints located errors as FILE:LINE: path: message, one
// a line, and any other error as a sentence.
func (r *run) printProfileError(err error) {
	if list := profileErrors(err); len(list) > 0 {
		for _, e := range list {
			fmt.Fprintln(r.Stderr, profileLine(r.lang, e))
		}
		fmt.Fprintln(r.Stderr, r.n("cli.profile.invalid_count", len(list), len(list)))
		return
	}
	fmt.Fprintln(r.Stderr, r.describe(err))
}

func cmdProfileVerify(r *run, args []string) int {
	fs := flag.NewFlagSet("relais profile verify", flag.ContinueOnError)
	sigFile := fs.String("sig", "", "cli.flag.sig")
	var trust multiFlag
	fs.Var(&trust, "trust", "cli.flag.trust")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 || len(trust) == 0 {
		return r.fail(ExitUsage, "cli.profile.verify.usage")
	}
	c, err := backend.VerifyProfileFile(pos[0], *sigFile, trust)
	if err != nil {
		return r.fileFail(err)
	}
	type verifyJSON struct {
		File      string      `json:"file"`
		Signed    bool        `json:"signed"`
		Valid     bool        `json:"valid"`
		Serial    int64       `json:"serial,omitempty"`
		Reason    string      `json:"reason,omitempty"`
		Errors    []lintError `json:"errors"`
		Signature string      `json:"signature_file"`
	}
	doc := verifyJSON{File: c.File, Signature: c.SigFile, Signed: c.SigErr == nil, Valid: c.Err == nil, Serial: c.Serial(), Errors: lintErrors(c.Err)}
	if c.SigErr != nil {
		doc.Reason = r.describe(c.SigErr)
	}
	if *asJSON {
		r.printJSON(doc)
	} else {
		if c.SigErr != nil {
			r.say("cli.profile.verify.refused", c.File, r.describe(c.SigErr))
		}
		if c.Err != nil {
			r.printProfileError(c.Err)
		}
		if c.OK() {
			r.out("cli.profile.verify.ok", c.File, c.Serial())
		}
	}
	if !c.OK() {
		return ExitUnhealthy
	}
	return ExitOK
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// loadProfile reads and parses the cached profile. On failure it has
// printed why — noProfileKey when there is none — and returns the exit code.
func (r *run) loadProfile(ctx context.Context, m *backend.Machine, noProfileKey string) (*store.CachedProfile, *profile.Profile, int) {
	cur, err := m.Policy().Current(ctx)
	if errors.Is(err, backend.ErrNoProfile) {
		return nil, nil, r.fail(ExitUsage, noProfileKey)
	}
	if err != nil {
		return nil, nil, r.profileReadFail(err)
	}
	return cur.Cached, cur.Profile, ExitOK
}

// profileReadFail says why the cached profile could not be read and
// returns the exit code.
func (r *run) profileReadFail(err error) int {
	if errors.Is(err, backend.ErrUnreadable) {
		// The store only ever holds accepted profiles; a parse failure
		// here means this binary is older or newer than the one that
		// accepted it.
		return r.fail(ExitUnhealthy, "cli.profile.show.unreadable", r.describe(errors.Unwrap(err)))
	}
	return r.fail(ExitUsage, "cli.store.read", r.describe(err))
}

type syncJSON struct {
	Outcome       string `json:"outcome"` // accepted | not_modified | refused | failed
	Source        string `json:"source"`
	Serial        int64  `json:"serial,omitempty"`
	InUseSerial   int64  `json:"in_use_serial,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Code          string `json:"code,omitempty"`
	Requests      int    `json:"requests"`
	BytesRead     int64  `json:"bytes_read"`
	AssetsFetched int    `json:"assets_fetched"`
}

func cmdProfileSync(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais profile sync", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.profile.sync.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(true)
	if m == nil {
		return code
	}
	defer m.Close()
	src := m.Policy().Sources()
	if src.URL != "" {
		r.say("cli.profile.sync.fetching", src.URL)
	}
	s, err := m.SyncProfile(ctx)
	if err != nil {
		return r.failErr(ExitUsage, err) // no source
	}
	res, last := s.Result, s.InUse
	if res != nil && res.URLError != nil {
		// The URL failed and the bootstrap file served: a first start
		// without network, or a newer copy installed by a package.
		r.say("cli.profile.sync.fallback", r.describe(res.URLError), src.File)
	}
	doc := syncJSON{Source: s.Source, Outcome: s.Outcome}
	if res != nil {
		doc.Requests, doc.BytesRead, doc.AssetsFetched = res.Requests, res.BytesRead, res.AssetsFetched
	}
	exit := ExitOK
	if err = s.Err; err != nil {
		doc.Code, doc.Reason = s.Code, r.describe(err)
		exit = ExitUnhealthy
	} else {
		doc.Serial = res.Profile.Serial
	}
	if s.RecordErr != nil {
		r.say("cli.store.write", r.describe(s.RecordErr))
	}
	if last != nil {
		doc.InUseSerial = last.Serial
	}
	if *asJSON {
		r.printJSON(doc)
		return exit
	}
	switch {
	case store.IsDiskFull(err) && last != nil:
		// Nothing was refused: the profile could not be written.
		r.say("store.disk_full.sync_kept", last.Serial)
	case store.IsDiskFull(err):
		r.say("store.disk_full.sync_none")
	case err != nil && last != nil:
		r.say("cli.profile.sync.refused_kept", doc.Reason, last.Serial)
	case err != nil:
		r.say("cli.profile.sync.refused_none", doc.Reason)
	case s.Outcome == store.OutcomeAccepted:
		r.out("cli.profile.sync.accepted", res.Profile.Serial, r.n("cli.profile.sync.assets", res.AssetsFetched, res.AssetsFetched))
	default:
		r.out("cli.profile.sync.unchanged", res.Profile.Serial)
	}
	return exit
}

type showJSON struct {
	Serial       int64       `json:"serial"`
	SHA256       string      `json:"sha256"`
	Source       string      `json:"source"`
	FetchedAt    time.Time   `json:"fetched_at"`
	CheckedAt    time.Time   `json:"checked_at"`
	Signed       bool        `json:"signed"`
	Signature    string      `json:"signature"` // valid | invalid | not_checked
	Expires      *time.Time  `json:"expires"`
	Expired      bool        `json:"expired"`
	Organisation textJSON    `json:"organisation"`
	Apps         int         `json:"apps"`
	Links        int         `json:"links"`
	Drills       int         `json:"drills"`
	Assets       int         `json:"assets"`
	LastSync     *lastSyncJS `json:"last_sync,omitempty"`
}

type textJSON struct {
	FR string `json:"fr"`
	EN string `json:"en"`
}

// In is the text in lang (French for anything but English).
func (t *textJSON) In(lang string) string {
	if t == nil {
		return ""
	}
	if i18n.Normalize(lang) == i18n.EN {
		return t.EN
	}
	return t.FR
}

type lastSyncJS struct {
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
	Outcome string    `json:"outcome"`
	Serial  int64     `json:"serial,omitempty"`
	Code    string    `json:"code,omitempty"`
	Reason  *textJSON `json:"reason,omitempty"` // the sentence, in both languages
}

func cmdProfileShow(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais profile show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.profile.show.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	c, err := m.ShowProfile(ctx)
	if errors.Is(err, backend.ErrNoProfile) {
		if *asJSON {
			r.printJSON(map[string]any{"profile": nil})
		}
		return r.fail(ExitUnhealthy, "cli.profile.show.none")
	}
	if err != nil {
		return r.profileReadFail(err)
	}
	cur, p := c.Cached, c.Profile
	doc := showJSON{Serial: cur.Serial, SHA256: cur.SHA256, Source: cur.Source, FetchedAt: cur.FetchedAt, CheckedAt: cur.CheckedAt,
		Organisation: textJSON{p.Organisation.Name.FR, p.Organisation.Name.EN},
		Apps:         len(p.Apps), Links: len(p.Links), Drills: len(p.Drills), Assets: len(p.Assets),
		Signature: c.Signature, Signed: c.Signed(), Expired: c.Expired}
	if !p.Expires.IsZero() {
		e := p.Expires
		doc.Expires = &e
	}
	if ls := c.LastSync; ls != nil {
		doc.LastSync = &lastSyncJS{At: ls.At, Source: ls.Source, Outcome: ls.Outcome, Serial: ls.Serial, Code: ls.Code}
		if c.LastSyncRefused() {
			doc.LastSync.Reason = &textJSON{reasonIn(i18n.FR, ls.Code, reasonDetail(i18n.FR, ls.Reason)),
				reasonIn(i18n.EN, ls.Code, reasonDetail(i18n.EN, ls.Reason))}
		}
	}
	if *asJSON {
		r.printJSON(doc)
	} else {
		r.out("cli.profile.show.org", p.Organisation.Name.In(r.lang))
		r.out("cli.profile.show.serial", cur.Serial)
		r.out("cli.profile.show.source", cur.Source)
		r.out("cli.profile.show.fetched", cur.FetchedAt.Local().Format(time.DateTime), cur.CheckedAt.Local().Format(time.DateTime))
		switch doc.Signature {
		case backend.SignatureValid:
			r.out("cli.profile.show.sig_valid")
		case backend.SignatureInvalid:
			r.out("cli.profile.show.sig_invalid", r.describe(c.SignatureErr))
		default:
			r.out("cli.profile.show.sig_unchecked")
		}
		switch {
		case doc.Expires == nil:
			r.out("cli.profile.show.no_expiry")
		case doc.Expired:
			r.out("cli.profile.show.expired", doc.Expires.Local().Format(time.DateTime))
		default:
			r.out("cli.profile.show.expires", doc.Expires.Local().Format(time.DateTime))
		}
		r.out("cli.profile.show.counts", len(p.Apps), len(p.Links), len(p.Drills), len(p.Assets))
		if ls := doc.LastSync; ls != nil {
			when := ls.At.Local().Format(time.DateTime)
			if c.LastSyncRefused() {
				r.out("cli.profile.show.last_sync_refused", when, ls.Reason.In(r.lang))
			} else {
				r.out("cli.profile.show.last_sync_ok", when)
			}
		}
	}
	if !c.Healthy() {
		return ExitUnhealthy
	}
	return ExitOK
}
