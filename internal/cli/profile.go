package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"aead.dev/minisign"

	"relais/internal/backend"
	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/profile/profilesync"
	"relais/internal/store"
	"relais/internal/version"
)

var versionInfo = version.Get

// readProfileFile reads a profile from disk, refusing to read more than the
// profile size limit.
func readProfileFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, profile.MaxProfileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > profile.MaxProfileSize {
		return nil, fmt.Errorf("%w: %s", profile.ErrTooLarge, name)
	}
	return b, nil
}

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
	file := pos[0]
	data, err := readProfileFile(file)
	if err != nil {
		if errors.Is(err, profile.ErrTooLarge) {
			return r.fail(ExitUnhealthy, "cli.profile.too_large", file, profile.MaxProfileSize)
		}
		return r.fail(ExitUsage, "cli.error.read_file", file, err.Error())
	}
	p, err := profile.Parse(file, data)
	if *asJSON {
		doc := lintJSON{File: file, Valid: err == nil, Errors: []lintError{}}
		if p != nil {
			doc.Serial = p.Serial
		}
		for _, e := range profileErrors(err) {
			doc.Errors = append(doc.Errors, lintError{Line: e.Line, Path: e.Path, Code: e.Code, Message: e.Msg})
		}
		r.printJSON(doc)
		if err != nil {
			return ExitUnhealthy
		}
		return ExitOK
	}
	if err != nil {
		r.printProfileError(err)
		return ExitUnhealthy
	}
	r.out("cli.profile.lint.ok", file, p.Serial, len(p.Apps), len(p.Links), len(p.Drills))
	return ExitOK
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
	file := pos[0]
	if *sigFile == "" {
		*sigFile = file + ".minisig"
	}
	var keys []minisign.PublicKey
	for _, kf := range trust {
		b, err := os.ReadFile(kf)
		if err != nil {
			return r.fail(ExitUsage, "cli.error.read_file", kf, err.Error())
		}
		k, err := profile.ParseTrustedKey(string(b))
		if err != nil {
			return r.fail(ExitUsage, "cli.profile.bad_trust_key", kf, err.Error())
		}
		keys = append(keys, k)
	}
	data, err := readProfileFile(file)
	if err != nil {
		if errors.Is(err, profile.ErrTooLarge) {
			return r.fail(ExitUnhealthy, "cli.profile.too_large", file, profile.MaxProfileSize)
		}
		return r.fail(ExitUsage, "cli.error.read_file", file, err.Error())
	}
	sig, err := os.ReadFile(*sigFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return r.fail(ExitUsage, "cli.error.read_file", *sigFile, err.Error())
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
	doc := verifyJSON{File: file, Signature: *sigFile, Errors: []lintError{}}
	sigErr := profile.VerifySignature(data, sig, keys)
	if sigErr != nil && errors.Is(sigErr, profile.ErrUnsigned) && len(sig) == 0 {
		sigErr = fmt.Errorf("%w: %s", profile.ErrUnsigned, *sigFile)
	}
	p, lintErr := profile.Parse(file, data)
	doc.Signed = sigErr == nil
	doc.Valid = lintErr == nil
	if p != nil {
		doc.Serial = p.Serial
	}
	for _, e := range profileErrors(lintErr) {
		doc.Errors = append(doc.Errors, lintError{Line: e.Line, Path: e.Path, Code: e.Code, Message: e.Msg})
	}
	if sigErr != nil {
		doc.Reason = r.describe(sigErr)
	}
	if *asJSON {
		r.printJSON(doc)
	} else {
		if sigErr != nil {
			r.say("cli.profile.verify.refused", file, r.describe(sigErr))
		}
		if lintErr != nil {
			r.printProfileError(lintErr)
		}
		if sigErr == nil && lintErr == nil {
			r.out("cli.profile.verify.ok", file, p.Serial)
		}
	}
	if sigErr != nil || lintErr != nil {
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
	if errors.Is(err, backend.ErrUnreadable) {
		// The store only holds accepted profiles: this binary is older or
		// newer than the one that accepted it.
		return nil, nil, r.fail(ExitUnhealthy, "cli.profile.show.unreadable", r.describe(errors.Unwrap(err)))
	}
	if err != nil {
		return nil, nil, r.fail(ExitUsage, "cli.store.read", r.describe(err))
	}
	return cur.Cached, cur.Profile, ExitOK
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
	pol := m.Policy()
	if !pol.HasSource() {
		return r.fail(ExitUsage, "cli.config.no_source", m.Managed.Path)
	}
	src := pol.Sources()
	if src.URL != "" {
		r.say("cli.profile.sync.fetching", src.URL)
	}
	res, err := pol.Sync(ctx)
	source := src.URL
	if res != nil && res.Source != "" {
		source = res.Source
	}
	if res != nil && res.URLError != nil {
		// The URL failed and the bootstrap file served: a first start
		// without network, or a newer copy installed by a package.
		r.say("cli.profile.sync.fallback", r.describe(res.URLError), src.File)
	}
	doc := syncJSON{Source: source}
	if res != nil {
		doc.Requests, doc.BytesRead, doc.AssetsFetched = res.Requests, res.BytesRead, res.AssetsFetched
	}
	attempt := store.SyncAttempt{At: r.Now(), Source: source}
	exit := ExitOK
	if err != nil {
		doc.Outcome, doc.Code, doc.Reason = "refused", errorCode(err), r.describe(err)
		if isFetchFailure(err) {
			doc.Outcome = "failed"
		}
		attempt.Outcome, attempt.Code, attempt.Reason = doc.Outcome, doc.Code, storedReason(err)
		exit = ExitUnhealthy
	} else {
		doc.Outcome, doc.Serial = string(res.Outcome), res.Profile.Serial
		attempt.Outcome, attempt.Serial = doc.Outcome, res.Profile.Serial
	}
	// A full disk is said once, below, not again for the sync's record.
	if rerr := m.DB.RecordSync(ctx, attempt); rerr != nil && !(store.IsDiskFull(rerr) && store.IsDiskFull(err)) {
		r.say("cli.store.write", r.describe(rerr))
	}
	last, _ := m.DB.CurrentProfile(ctx)
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
	case res.Outcome == profilesync.Accepted:
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
	c, err := m.Policy().Current(ctx)
	if errors.Is(err, backend.ErrNoProfile) {
		if *asJSON {
			r.printJSON(map[string]any{"profile": nil})
		}
		return r.fail(ExitUnhealthy, "cli.profile.show.none")
	}
	if errors.Is(err, backend.ErrUnreadable) {
		// The store only ever holds accepted profiles; a parse failure here
		// means this binary is older or newer than the one that accepted it.
		return r.fail(ExitUnhealthy, "cli.profile.show.unreadable", r.describe(errors.Unwrap(err)))
	}
	if err != nil {
		return r.fail(ExitUsage, "cli.store.read", r.describe(err))
	}
	cur, p := c.Cached, c.Profile
	doc := showJSON{Serial: cur.Serial, SHA256: cur.SHA256, Source: cur.Source, FetchedAt: cur.FetchedAt, CheckedAt: cur.CheckedAt,
		Organisation: textJSON{p.Organisation.Name.FR, p.Organisation.Name.EN},
		Apps:         len(p.Apps), Links: len(p.Links), Drills: len(p.Drills), Assets: len(p.Assets)}
	sigErr := c.SignatureErr
	doc.Signature = c.Signature
	doc.Signed = doc.Signature == "valid"
	if !p.Expires.IsZero() {
		e := p.Expires
		doc.Expires = &e
	}
	doc.Expired = p.Expired(r.Now())
	if ls, err := m.DB.LastSync(ctx); err == nil {
		doc.LastSync = &lastSyncJS{At: ls.At, Source: ls.Source, Outcome: ls.Outcome, Serial: ls.Serial, Code: ls.Code}
		if ls.Outcome != store.OutcomeAccepted && ls.Outcome != store.OutcomeNotModified {
			doc.LastSync.Reason = &textJSON{reasonIn(i18n.FR, ls.Code, reasonDetail(i18n.FR, ls.Reason)),
				reasonIn(i18n.EN, ls.Code, reasonDetail(i18n.EN, ls.Reason))}
		}
	}
	healthy := doc.Signature != "invalid" && !doc.Expired
	if *asJSON {
		r.printJSON(doc)
	} else {
		r.out("cli.profile.show.org", p.Organisation.Name.In(r.lang))
		r.out("cli.profile.show.serial", cur.Serial)
		r.out("cli.profile.show.source", cur.Source)
		r.out("cli.profile.show.fetched", cur.FetchedAt.Local().Format(time.DateTime), cur.CheckedAt.Local().Format(time.DateTime))
		switch doc.Signature {
		case "valid":
			r.out("cli.profile.show.sig_valid")
		case "invalid":
			r.out("cli.profile.show.sig_invalid", r.describe(sigErr))
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
			switch ls.Outcome {
			case "accepted", "not_modified":
				r.out("cli.profile.show.last_sync_ok", when)
			default:
				r.out("cli.profile.show.last_sync_refused", when, ls.Reason.In(r.lang))
			}
		}
	}
	if !healthy {
		return ExitUnhealthy
	}
	return ExitOK
}
