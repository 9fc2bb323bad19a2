package cli

import (
	"context"
	"flag"
	"fmt"

	"relais/internal/backend"
	"relais/internal/diag"
)

// `relais diag export|open`: diagnostics bundles from the terminal, for
// machines where no window opens and for the helpdesk.

type diagExportJSON struct {
	CaseCode  string   `json:"case_code"`
	Path      string   `json:"path"`
	Encrypted bool     `json:"encrypted"`
	Size      int64    `json:"size"`
	Level     string   `json:"anonymisation"`
	Failures  []string `json:"failures"`
}

func cmdDiagExport(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais diag export", flag.ContinueOnError)
	out := fs.String("o", "", "cli.diag.flag.out")
	level := enumFlag(fs, "anonymize", string(diag.LevelStandard), "cli.diag.flag.anonymize", string(diag.LevelNone), string(diag.LevelStandard), string(diag.LevelStrict))
	encrypt := fs.Bool("encrypt", false, "cli.diag.flag.encrypt")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.diag.usage") {
		return ExitUsage
	}
	d := r.openBackend(ctx, false) // a damaged database is said as it opens
	if d == nil {
		return ExitUsage
	}
	defer d.Close()
	r.say("cli.diag.collecting")
	e, err := d.ExportDiagnosticsTo(*out, *level, *encrypt)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	res := diagExportJSON{CaseCode: e.CaseCode, Path: e.Path, Encrypted: e.Encrypted, Size: e.Size, Level: *level, Failures: append([]string{}, e.Failures...)}
	if *asJSON {
		r.printJSON(res)
		return ExitOK
	}
	r.out("cli.diag.case_code", res.CaseCode)
	r.out("cli.diag.written", res.Path, res.Size)
	if res.Encrypted {
		r.out("cli.diag.encrypted")
	}
	for _, f := range res.Failures {
		r.say("cli.diag.collector_failed", f)
	}
	return ExitOK
}

func cmdDiagOpen(r *run, args []string) int {
	fs := flag.NewFlagSet("relais diag open", flag.ContinueOnError)
	identity := fs.String("identity", "", "cli.diag.flag.identity")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.diag.usage")
	}
	b, err := backend.OpenBundle(pos[0], *identity, "cli.diag.need_identity")
	if err != nil { // the error may quote the bundle (a member's name)
		fmt.Fprintln(r.Stderr, diag.TerminalText(r.words(err)))
		return ExitUsage
	}
	fmt.Fprint(r.Stdout, diag.Summary(b, r.lang))
	return ExitOK
}
