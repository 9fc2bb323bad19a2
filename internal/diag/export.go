package diag

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"filippo.io/age"

	"relais/internal/diag/bundle"
	"relais/internal/drills"
	"relais/internal/redact"
)

// Export collects, redacts, anonymises, writes the zip to w (encrypted
// when opt.Recipient is set) and returns its manifest.
//
// Every file is written as text, then redacted (always) and anonymised (at
// opt.Level), in the bundle's order, by one redactor and one anonymiser:
// the same address gets the same stand-in everywhere. summary.html is then
// made from those files as written, so it can show nothing they do not.
func Export(ctx context.Context, in Input, opt Options, w io.Writer) (*Manifest, error) {
	level := opt.Level
	switch level {
	case "":
		level = LevelStandard
	case LevelNone, LevelStandard, LevelStrict:
	default:
		return nil, fmt.Errorf("diag: unknown anonymisation level %q (none, standard or strict)", level)
	}
	var recipient *age.X25519Recipient
	if opt.Recipient != "" {
		r, err := age.ParseX25519Recipient(opt.Recipient)
		if err != nil {
			return nil, fmt.Errorf("diag: helpdesk recipient: %w", err)
		}
		recipient = r
	}
	caseCode := opt.CaseCode
	if caseCode == "" {
		caseCode = NewCaseCode()
	} else if !ValidCaseCode(caseCode) {
		return nil, fmt.Errorf("diag: bad case code %q", caseCode)
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	timeout := opt.CollectorTimeout
	if timeout <= 0 {
		timeout = DefaultCollectorTimeout
	}
	cs := opt.collectors
	if cs == nil {
		cs = defaultCollectors(machine())
	}

	results := runCollectors(ctx, cs, timeout)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("diag: %w", err)
	}
	red := redact.New(in.Secrets...)
	anon := newAnonymiser(level, identityOf(results, in), in.PublicKey)
	scrub := func(s string) string {
		return redact.MapLines(anon.whole(red.Whole(s)), func(l string) string { return anon.line(red.Line(l)) })
	}

	raw, err := rawFiles(in, results)
	if err != nil {
		return nil, err
	}
	for _, name := range fileOrder {
		anon.learn(string(raw[name]))
	}
	files := make(map[string][]byte, len(raw)+1)
	for _, name := range fileOrder {
		if b, ok := raw[name]; ok {
			files[name] = []byte(scrub(string(b)))
		}
	}
	m := Manifest{Schema: Schema, CaseCode: caseCode, Created: now().UTC().Truncate(time.Second), App: in.App, Level: level, Encrypted: recipient != nil}
	for _, r := range results {
		if r.failed() {
			m.Failures = append(m.Failures, CollectorFailure{Name: r.name(), Error: scrub(r.err.Error())})
		}
	}
	b := &Bundle{Manifest: m, Files: files}
	b.Manifest.Files = entries(files, bundle.NameSummary)
	html, err := bundle.SummaryHTML(b, in.Language)
	if err != nil {
		return nil, err
	}
	// The page is made of scrubbed text; redacting it again only guards
	// against a secret in a translation. (Anonymising it would mistake
	// its CSS selectors for host names.)
	files[bundle.NameSummary] = []byte(red.Text(string(html)))
	m.Redactions = red.Count()
	m.Files = entries(files, "")
	mb, err := fileJSON(m)
	if err != nil {
		return nil, fmt.Errorf("diag: manifest: %w", err)
	}
	files[bundle.NameManifest] = mb

	out := w
	var enc io.WriteCloser
	if recipient != nil {
		if enc, err = age.Encrypt(w, recipient); err != nil {
			return nil, fmt.Errorf("diag: encrypt: %w", err)
		}
		out = enc
	}
	if err := writeZip(out, files, m.Created); err != nil {
		return nil, err
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("diag: encrypt: %w", err)
		}
	}
	return &m, nil
}

// entries lists the files in the bundle's order, but the manifest;
// pending (a file still to be made) is listed without size or hash.
func entries(files map[string][]byte, pending string) []FileEntry {
	var out []FileEntry
	for _, name := range fileOrder {
		if name == bundle.NameManifest {
			continue
		}
		data, ok := files[name]
		if name == pending {
			out = append(out, FileEntry{Name: name})
			continue
		}
		if ok {
			out = append(out, FileEntry{Name: name, Size: int64(len(data)), SHA256: sha256Hex(data)})
		}
	}
	return out
}

// rawFiles are the bundle's files before redaction and anonymisation.
func rawFiles(in Input, results []collected) (map[string][]byte, error) {
	settings := in.Settings
	if settings == nil {
		settings = map[string]string{}
	}
	cf := bundle.ChecksFile{History: newHistory(in.Checks)}
	if in.Snapshot != nil {
		cf.LastReport = in.Snapshot.Report
	}
	df := bundle.DrillsFile{Runs: in.Drills}
	if df.Runs == nil {
		df.Runs = []*drills.Run{}
	}
	jsons := []struct {
		name string
		v    any
	}{
		{bundle.NameSystem, factsOf(results, "system")},
		{bundle.NameNetwork, factsOf(results, "network")},
		{bundle.NameTunnel, newTunnelFile(in.Snapshot, in.PublicKey)},
		{bundle.NameChecks, cf},
		{bundle.NameDrills, df},
		{bundle.NameProfile, bundle.ProfileFile{Cached: in.Profile != nil, ProfileFacts: in.Profile}},
		{bundle.NameSettings, settings},
	}
	files := map[string][]byte{}
	for _, j := range jsons {
		b, err := fileJSON(j.v)
		if err != nil {
			return nil, fmt.Errorf("diag: %s: %w", j.name, err)
		}
		files[j.name] = b
	}
	if in.Profile != nil && in.Profile.TOML != nil {
		files[bundle.NameProfileTOML] = in.Profile.TOML
	}
	if in.Managed != nil {
		files[bundle.NameManaged] = in.Managed
	}
	files[bundle.NameLog] = logText(in.Log)
	return files, nil
}

// identityOf is what names the machine and its user: from the collectors,
// else from cheaper sources (a collector that timed out must not leave the
// machine's name in the bundle).
func identityOf(results []collected, in Input) identity {
	var id identity
	for _, r := range results {
		switch v := r.value.(type) {
		case string:
			if r.name() == "system.hostname" {
				id.Hostname = v
			}
		case bundle.UserFacts:
			id.Login, id.FullName, id.Home = v.Login, v.Name, v.Home
		}
	}
	if id.Hostname == "" {
		id.Hostname, _ = os.Hostname()
	}
	if id.Login == "" {
		for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
			if id.Login = os.Getenv(k); id.Login != "" {
				break
			}
		}
	}
	if id.Home == "" {
		id.Home, _ = os.UserHomeDir()
	}
	id.Others = in.People
	return id
}
