package cli

// relais serve token|code|peer: enrolment on the emergency WireGuard
// gateway, from the server's shell. A setup token (token add) or a
// one-time code (code add) is printed once, to the person who creates it,
// and stored as enrolment.Hash only. peer revoke revokes in the database,
// then takes the peer off the interface when it can; the running server
// does it within reconcile_interval otherwise.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"relais/internal/enrolment"
	"relais/internal/i18n"
	srvconfig "relais/internal/server/config"
	"relais/internal/server/db"
	"relais/internal/server/enrol"
)

// Limits of what the enrolment commands accept.
const (
	maxTokenUses      = 1_000_000
	maxTokenLifetime  = 366 * 24 * time.Hour
	maxCodeValidity   = 7 * 24 * time.Hour
	minSecretLifetime = time.Minute
	maxPersonName     = 100 // characters of the name a code is for
	wgTimeout         = 10 * time.Second
)

// serveCommands are relais serve's subcommands, in the command table (help,
// man page and completion are generated from it).
func serveCommands() []command {
	verb := func(cmd func(context.Context, *run, []string) int, v string) func(context.Context, *run, []string) int {
		return func(ctx context.Context, r *run, args []string) int { return cmd(ctx, r, append([]string{v}, args...)) }
	}
	return []command{
		{name: "user", summary: "cli.help.serve.user", subs: []command{
			{name: "add", summary: "cli.help.serve.user.add", args: "cli.help.arg.account", run: verb(cmdServeUser, "add")},
			{name: "passwd", summary: "cli.help.serve.user.passwd", args: "cli.help.arg.account", run: verb(cmdServeUser, "passwd")},
			{name: "remove", summary: "cli.help.serve.user.remove", args: "cli.help.arg.account", run: verb(cmdServeUser, "remove")},
			{name: "list", summary: "cli.help.serve.user.list", run: verb(cmdServeUser, "list")},
		}},
		{name: "token", summary: "cli.help.serve.token", subs: []command{
			{name: "add", summary: "cli.help.serve.token.add", run: verb(cmdServeToken, "add")},
			{name: "list", summary: "cli.help.serve.token.list", run: verb(cmdServeToken, "list")},
			{name: "revoke", summary: "cli.help.serve.token.revoke", args: "cli.help.arg.token_name", run: verb(cmdServeToken, "revoke")},
		}},
		{name: "code", summary: "cli.help.serve.code", subs: []command{
			{name: "add", summary: "cli.help.serve.code.add", args: "cli.help.arg.person", run: verb(cmdServeCode, "add")},
		}},
		{name: "peer", summary: "cli.help.serve.peer", subs: []command{
			{name: "list", summary: "cli.help.serve.peer.list", run: verb(cmdServePeer, "list")},
			{name: "revoke", summary: "cli.help.serve.peer.revoke", args: "cli.help.arg.peer", run: verb(cmdServePeer, "revoke")},
		}},
	}
}

// openServeDB loads the server's configuration and opens its database.
func (r *run) openServeDB(ctx context.Context, path string) (*srvconfig.Config, *db.DB, int) {
	if path == "" {
		return nil, nil, r.fail(ExitUsage, "cli.serve.no_config")
	}
	cfg, err := srvconfig.Load(path, r.Getenv)
	if err != nil {
		return nil, nil, r.serveConfigError(path, err)
	}
	d, err := db.Open(ctx, db.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Now: r.Now})
	if err != nil {
		return nil, nil, r.fail(ExitUsage, "cli.serve.database", err.Error())
	}
	return cfg, d, ExitOK
}

// serveActor names who acts from the shell, stored as created_by or
// revoked_by: "cli" and the system account when known.
func (r *run) serveActor() string {
	if r.Getenv != nil {
		for _, k := range []string{"SUDO_USER", "USER", "LOGNAME", "USERNAME"} {
			if u := r.Getenv(k); u != "" && db.ValidAccountName(u) {
				return "cli:" + u
			}
		}
	}
	return "cli"
}

// ParseLifetime reads how long a token or code stays valid: a Go duration
// ("72h", "90m", "1h30m") or whole days ("30d"), between min and max.
func ParseLifetime(s string, min, max time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) > 32 {
		return 0, errors.New("too long")
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && !strings.ContainsAny(n, "hmsuµn") {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 10000 {
			return 0, errors.New("not a number of days")
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, err
		}
	}
	if d < min || d > max {
		return 0, fmt.Errorf("out of range %s..%s", min, max)
	}
	return d, nil
}

// validTokenName: 1 to 64 ASCII letters, digits, dots, hyphens, underscores
// or @, starting with a letter or digit (an account name's rule).
func validTokenName(s string) bool { return db.ValidAccountName(s) }

// CleanPersonName is the name a code is for, trimmed, or "" when it is
// empty, too long, or carries control or bidi characters.
func CleanPersonName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxPersonName {
		return ""
	}
	for _, c := range s {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			return ""
		}
	}
	return s
}

func cmdServeToken(ctx context.Context, r *run, args []string) int {
	if len(args) == 0 {
		return r.fail(ExitUsage, "cli.serve.token.usage")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("relais serve token "+verb, flag.ContinueOnError)
	path := fs.String("config", "", "cli.serve.flag.config")
	var uses int
	var expires, name string
	if verb == "add" {
		fs.IntVar(&uses, "uses", 0, "cli.serve.token.flag.uses")
		fs.StringVar(&expires, "expires", "72h", "cli.serve.token.flag.expires")
		fs.StringVar(&name, "name", "", "cli.serve.token.flag.name")
	}
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	want := 0
	switch verb {
	case "add", "list":
	case "revoke":
		want = 1
	default:
		return r.fail(ExitUsage, "cli.serve.token.usage")
	}
	if len(pos) != want {
		return r.fail(ExitUsage, "cli.serve.token.usage")
	}
	var life time.Duration
	if verb == "add" {
		if uses < 1 || uses > maxTokenUses {
			return r.fail(ExitUsage, "cli.serve.token.uses", i18n.Integer(r.lang, maxTokenUses))
		}
		var err error
		if life, err = ParseLifetime(expires, minSecretLifetime, maxTokenLifetime); err != nil {
			return r.fail(ExitUsage, "cli.serve.token.expires", expires)
		}
		if name == "" {
			// The date, and a few random characters: two tokens made
			// in the same minute get different names.
			name = "setup-" + r.Now().UTC().Format("20060102-1504") + "-" + strings.ToLower(enrolment.NewCode()[:4])
		}
		if !validTokenName(name) {
			return r.fail(ExitUsage, "cli.serve.token.name")
		}
	}
	if verb == "revoke" && !validTokenName(pos[0]) {
		return r.fail(ExitUsage, "cli.serve.token.unknown", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, serveUserTimeout)
	defer cancel()
	_, d, code := r.openServeDB(ctx, *path)
	if code != ExitOK {
		return code
	}
	defer d.Close()
	switch verb {
	case "add":
		tok := enrolment.NewSetupToken()
		exp := r.Now().Add(life)
		if err := d.AddSetupToken(ctx, name, enrolment.Hash(tok), uses, exp, r.serveActor()); err != nil {
			if errors.Is(err, db.ErrExists) {
				return r.fail(ExitUsage, "cli.serve.token.exists", name)
			}
			return r.fail(ExitUsage, "cli.serve.database", err.Error())
		}
		r.say("cli.serve.token.created", name, r.n("cli.serve.token.uses_n", uses, i18n.Integer(r.lang, uses)),
			i18n.DateTime(r.lang, exp.Local()))
		fmt.Fprintln(r.Stdout, tok)
		r.say("cli.serve.token.once")
		fmt.Fprintf(r.Stdout, "enrol_token = %q\n", tok)
		return ExitOK
	case "list":
		list, err := d.SetupTokens(ctx)
		if err != nil {
			return r.fail(ExitUsage, "cli.serve.database", err.Error())
		}
		if len(list) == 0 {
			r.say("cli.serve.token.none")
		}
		now := r.Now()
		for _, t := range list {
			fmt.Fprintf(r.Stdout, "%s\t%d/%d\t%s\t%s\n", t.Name, t.Uses, t.MaxUses,
				i18n.DateTime(r.lang, t.Expires.Local()), r.t("cli.serve.token.state."+t.State(now)))
		}
		return ExitOK
	default: // revoke
		err := d.RevokeSetupToken(ctx, pos[0], r.serveActor())
		switch {
		case err == nil:
			r.say("cli.serve.token.revoked", pos[0])
			return ExitOK
		case errors.Is(err, db.ErrNotFound):
			return r.fail(ExitUsage, "cli.serve.token.unknown", pos[0])
		default:
			return r.fail(ExitUsage, "cli.serve.database", err.Error())
		}
	}
}

func cmdServeCode(ctx context.Context, r *run, args []string) int {
	if len(args) == 0 {
		return r.fail(ExitUsage, "cli.serve.code.usage")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("relais serve code "+verb, flag.ContinueOnError)
	path := fs.String("config", "", "cli.serve.flag.config")
	valid := fs.String("valid", "", "cli.serve.code.flag.valid")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if verb != "add" || len(pos) != 1 {
		return r.fail(ExitUsage, "cli.serve.code.usage")
	}
	person := CleanPersonName(pos[0])
	if person == "" {
		return r.fail(ExitUsage, "cli.serve.code.person", maxPersonName)
	}
	var life time.Duration
	if *valid != "" {
		var err error
		if life, err = ParseLifetime(*valid, minSecretLifetime, maxCodeValidity); err != nil {
			return r.fail(ExitUsage, "cli.serve.code.valid", *valid)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, serveUserTimeout)
	defer cancel()
	cfg, d, code := r.openServeDB(ctx, *path)
	if code != ExitOK {
		return code
	}
	defer d.Close()
	if life == 0 {
		// [wireguard] code_validity, else 8 hours.
		life = srvconfig.DefaultCodeValidity
		if cfg.WireGuard != nil && cfg.WireGuard.CodeTTL > 0 {
			life = cfg.WireGuard.CodeTTL
		}
	}
	secret := enrolment.NewCode()
	ec, err := d.AddEnrolCode(ctx, person, enrolment.Hash(secret), r.Now().Add(life), r.serveActor())
	if err != nil {
		return r.fail(ExitUsage, "cli.serve.database", err.Error())
	}
	r.say("cli.serve.code.created", person, i18n.DateTime(r.lang, ec.Expires.Local()), i18n.Duration(r.lang, life))
	fmt.Fprintln(r.Stdout, secret)
	r.say("cli.serve.code.once")
	return ExitOK
}

// peerJSON is one peer of `relais serve peer list --json`.
type peerJSON struct {
	ID         int64      `json:"id"`
	PublicKey  string     `json:"public_key"`
	DeviceName string     `json:"device_name"`
	Addresses  []string   `json:"addresses"`
	Via        string     `json:"via"`
	State      string     `json:"state"`
	EnrolledAt time.Time  `json:"enrolled_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	RevokedBy  string     `json:"revoked_by,omitempty"`
}

func prefixes(list []netip.Prefix) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.String()
	}
	return out
}

func cmdServePeer(ctx context.Context, r *run, args []string) int {
	if len(args) == 0 {
		return r.fail(ExitUsage, "cli.serve.peer.usage")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("relais serve peer "+verb, flag.ContinueOnError)
	path := fs.String("config", "", "cli.serve.flag.config")
	var all, asJSON bool
	if verb == "list" {
		fs.BoolVar(&all, "all", false, "cli.serve.peer.flag.all")
		fs.BoolVar(&asJSON, "json", false, "cli.flag.json")
	}
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	switch {
	case verb == "list" && len(pos) == 0:
	case verb == "revoke" && len(pos) == 1:
		if strings.TrimSpace(pos[0]) == "" || len(pos[0]) > 200 {
			return r.fail(ExitUsage, "cli.serve.peer.unknown", pos[0])
		}
	default:
		return r.fail(ExitUsage, "cli.serve.peer.usage")
	}
	ctx, cancel := context.WithTimeout(ctx, serveUserTimeout)
	defer cancel()
	cfg, d, code := r.openServeDB(ctx, *path)
	if code != ExitOK {
		return code
	}
	defer d.Close()
	if verb == "list" {
		list, err := d.Peers(ctx, all)
		if err != nil {
			return r.fail(ExitUsage, "cli.serve.database", err.Error())
		}
		if asJSON {
			out := struct {
				Peers []peerJSON `json:"peers"`
			}{Peers: []peerJSON{}}
			for _, p := range list {
				pj := peerJSON{ID: p.ID, PublicKey: p.PublicKey, DeviceName: p.DeviceName, Addresses: prefixes(p.Addresses),
					Via: p.Via, State: p.State, EnrolledAt: p.EnrolledAt.UTC(), RevokedBy: p.RevokedBy}
				if !p.RevokedAt.IsZero() {
					at := p.RevokedAt.UTC()
					pj.RevokedAt = &at
				}
				out.Peers = append(out.Peers, pj)
			}
			r.printJSON(out)
			return ExitOK
		}
		if len(list) == 0 {
			r.say("cli.serve.peer.none")
		}
		for _, p := range list {
			fmt.Fprintf(r.Stdout, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.DeviceName, strings.Join(prefixes(p.Addresses), ","),
				i18n.DateTime(r.lang, p.EnrolledAt.Local()), p.Via, r.t("cli.serve.peer.state."+peerState(p.State)), p.PublicKey)
		}
		return ExitOK
	}
	p, err := d.RevokePeer(ctx, strings.TrimSpace(pos[0]), r.serveActor())
	switch {
	case errors.Is(err, db.ErrNotFound):
		return r.fail(ExitUsage, "cli.serve.peer.unknown", pos[0])
	case err != nil:
		return r.fail(ExitUsage, "cli.serve.database", err.Error())
	}
	r.say("cli.serve.peer.revoked", p.DeviceName, strings.Join(prefixes(p.Addresses), ", "))
	iface, every := wireguardOf(cfg)
	if iface == "" {
		r.say("cli.serve.peer.no_wireguard")
		return ExitOK
	}
	if err := removePeer(ctx, iface, p.PublicKey); err != nil {
		r.say("cli.serve.peer.not_removed", iface, i18n.Duration(r.lang, every), r.detail(err))
		return ExitOK
	}
	r.say("cli.serve.peer.removed", iface)
	return ExitOK
}

// peerState is a peer's state as the catalogue words it.
func peerState(s string) string {
	switch s {
	case "pending", "active", "revoked":
		return s
	}
	return "other"
}

// removePeer takes the peer with publicKey off the WireGuard interface
// iface, as the running server does (enrol.WireGuard: wgctrl, within its
// deadline).
func removePeer(ctx context.Context, iface, publicKey string) error {
	ctx, cancel := context.WithTimeout(ctx, wgTimeout)
	defer cancel()
	w, err := enrol.OpenWireGuard(ctx, iface)
	if err != nil {
		return err
	}
	defer w.Close()
	return w.RemovePeer(ctx, publicKey)
}

// wireguardOf is the interface the server manages and how often the
// running server reconciles it; "" without [wireguard].
func wireguardOf(cfg *srvconfig.Config) (string, time.Duration) {
	if cfg == nil || cfg.WireGuard == nil {
		return "", 0
	}
	every := cfg.WireGuard.Reconcile
	if every <= 0 {
		every = srvconfig.DefaultReconcileInterval
	}
	return cfg.WireGuard.Interface, every
}
