package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"relais/internal/backend"
	"relais/internal/enrolment"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/redact"
)

// relais enrol [CODE]: enrol this device on the organisation's emergency
// gateway, with the managed setup token or a one-time code from the
// helpdesk. The key is made here and stays in the keyring.

// enrolJSON is the document of `relais enrol --json`.
type enrolJSON struct {
	Enrolled  bool           `json:"enrolled"`
	Server    string         `json:"server,omitempty"` // the enrolment server's host
	Identity  *identityJSON  `json:"identity,omitempty"`
	Reused    bool           `json:"reused_key"` // the keyring's key was kept (a retry)
	Granted   bool           `json:"granted"`    // the server signed the addresses, and the signature verified
	Error     *codedTextJSON `json:"error,omitempty"`
	EnrolURL  string         `json:"enrol_url,omitempty"`
	NeedsCode bool           `json:"needs_code,omitempty"` // no managed setup token: a code is needed
}

func cmdEnrol(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais enrol")
	force := fs.Bool("force", false, "cli.enrol.flag.force")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	// A code read over the phone may come in two words: ABCDE FGHJK.
	if len(pos) > 2 || (len(pos) == 2 && !enrolment.IsCode(pos[0]+pos[1])) {
		return r.fail(ExitUsage, "cli.enrol.usage")
	}
	code := strings.Join(pos, "")
	if err := r.backendEnv().CheckKeyring(); err != nil {
		return r.identityCmdFail(err, "", 0)
	}
	m, exit := r.openMachine(false)
	if m == nil {
		return exit
	}
	defer m.Close()
	m.AdoptBootstrap(ctx) // the profile names the server and its gateway
	plan := m.EnrolPlan(ctx)
	if plan.Host != "" {
		r.say("cli.enrol.progress", plan.Host)
	}
	res, err := m.Enrol(ctx, backend.EnrolOptions{Code: code, Replace: *force})
	if err != nil {
		return r.enrolFail(err, plan, *asJSON)
	}
	id := toIdentityJSON(&res.Identity)
	if *asJSON {
		r.printJSON(enrolJSON{Enrolled: true, Server: res.Host, Identity: id, Reused: res.Reused, Granted: res.Granted})
	}
	r.say("cli.enrol.done", res.Host)
	if !*asJSON {
		r.out("cli.enrol.addresses", strings.Join(res.Identity.Addresses, ", "))
		r.out("cli.enrol.public_key", res.Identity.PublicKey)
	}
	if res.Reused {
		r.say("cli.enrol.reused")
	}
	if res.Granted {
		r.say("cli.enrol.granted")
	}
	r.say("cli.enrol.next")
	return ExitOK
}

// enrolFail says why the enrolment did not succeed, and returns its exit
// code: 2 for what this machine lacks (no server, no code, a keyring, an
// identity to keep), or a server that cannot be reached; 1 for a refusal
// or an answer that is not valid.
func (r *run) enrolFail(err error, plan backend.EnrolPlan, asJSON bool) int {
	code := enrolment.Code(err)
	if code == "" {
		var ie *frontend.IdentityError
		if errors.As(err, &ie) {
			return r.identityCmdFail(err, "", 0)
		}
		return r.failErr(ExitUsage, err)
	}
	exit := ExitUnhealthy
	switch code {
	case enrolment.CodeNoURL, enrolment.CodeNoToken, backend.CodeIdentityImported, backend.CodeBadGrantKey, enrolment.CodeUnreachable:
		exit = ExitUsage
	}
	key := "enrol.error." + code
	cli := key
	if code == enrolment.CodeNoToken || code == backend.CodeIdentityImported {
		cli = "cli." + key // the command line's own way out: a CODE, --force
	}
	var detail string
	var e *enrolment.Error
	if errors.As(err, &e) {
		detail = e.Detail
	}
	fmt.Fprintln(r.Stderr, r.t("cli.enrol.failed", r.t(cli)))
	if detail != "" && code != enrolment.CodeNoToken && code != enrolment.CodeNoURL {
		r.say("cli.details", detail)
	}
	if asJSON {
		ct := &codedTextJSON{Code: code, FR: i18n.T(i18n.FR, cli), EN: i18n.T(i18n.EN, cli), Detail: detail}
		r.printJSON(enrolJSON{Server: plan.Host, Error: ct, EnrolURL: redact.URL(plan.URL), NeedsCode: code == enrolment.CodeNoToken})
	}
	r.failed = &failure{key: cli}
	return exit
}
