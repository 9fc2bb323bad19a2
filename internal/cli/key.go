package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/store"
	"relais/internal/wgconf"
)

// relais key generate|import|show|export-conf|delete: the device's
// WireGuard identity. The private key goes to the OS keyring and nowhere
// else; the store keeps the public key and the tunnel addresses.

// identityJSON is the public half of the identity, as --json prints it.
type identityJSON struct {
	PublicKey string     `json:"public_key"`
	Addresses []string   `json:"addresses"`
	Source    string     `json:"source"`
	CreatedAt *time.Time `json:"created_at"` // null: not recorded
}

func toIdentityJSON(id *store.Identity) *identityJSON {
	if id == nil {
		return nil
	}
	return &identityJSON{PublicKey: id.PublicKey, Addresses: append([]string{}, id.Addresses...), Source: id.Source, CreatedAt: timeOrNull(id.CreatedAt)}
}

// identityCmdFail prints an identity operation's error as the CLI says it
// and returns its exit code.
func (r *run) identityCmdFail(err error, file string, peers int) int {
	var e *frontend.IdentityError
	if !errors.As(err, &e) {
		return r.fail(ExitUsage, "cli.store.write", err.Error())
	}
	switch e.Code {
	case frontend.IdentityErrExists:
		return r.fail(ExitUsage, "cli.key.exists", e.PublicKey)
	case frontend.IdentityErrNoKeyring:
		return r.identityFail(e.Err)
	case frontend.IdentityErrInvalid:
		for _, d := range e.Detail {
			fmt.Fprintln(r.Stderr, r.words(d))
		}
		fmt.Fprintln(r.Stderr, r.n("cli.key.import.invalid", len(e.Detail), file, len(e.Detail)))
		return ExitUsage
	case frontend.IdentityErrTooLarge:
		return r.fail(ExitUsage, "cli.key.import.too_large", file, wgconf.MaxSize)
	case frontend.IdentityErrUnreadable:
		return r.fail(ExitUsage, "cli.error.read_file", file, e.Err.Error())
	case frontend.IdentityErrNoPrivateKey:
		return r.fail(ExitUsage, "cli.key.import.no_private_key", file)
	case frontend.IdentityErrPeers:
		return r.fail(ExitUsage, "cli.key.import.peers", file, peers)
	case frontend.IdentityErrZeroKey:
		return r.fail(ExitUsage, "cli.key.import.zero_key", file)
	}
	for _, d := range e.Detail {
		fmt.Fprintln(r.Stderr, r.words(d))
	}
	if e.Code == frontend.IdentityErrFailed {
		return ExitUnhealthy
	}
	return ExitUsage
}

func (r *run) printIdentitySaved(id identityJSON, asJSON bool, doneKey string) {
	if asJSON {
		r.printJSON(id)
		return
	}
	r.say(doneKey)
	// The public key alone on stdout, for scripts and for enrolment.
	fmt.Fprintln(r.Stdout, id.PublicKey)
}

func cmdKeyGenerate(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key generate")
	var addrFlags multiFlag
	fs.Var(&addrFlags, "address", "cli.key.flag.address")
	force := fs.Bool("force", false, "cli.key.flag.force")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.key.generate.usage") {
		return ExitUsage
	}
	addrs, err := backend.TunnelAddresses(addrFlags)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	// Without a keyring, stop before the store is even opened: no trace.
	if err = r.backendEnv().CheckKeyring(); err != nil {
		return r.identityCmdFail(err, "", 0)
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, err := m.GenerateIdentity(ctx, addrs, *force)
	if err != nil {
		return r.identityCmdFail(err, "", 0)
	}
	r.printIdentitySaved(*toIdentityJSON(&id), *asJSON, "cli.key.generate.done")
	return ExitOK
}

func cmdKeyImport(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key import")
	force := fs.Bool("force", false, "cli.key.flag.force")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.key.import.usage")
	}
	file := pos[0]
	// The file first, then the keyring: a bad file is said as such
	// whatever the keyring; without a keyring, the store is not opened.
	if err := r.backendEnv().CheckImport(file); err != nil {
		return r.identityCmdFail(err, file, 0)
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	id, out, err := m.ImportIdentity(ctx, file, *force)
	switch {
	case out.Unchecked:
		r.say("cli.key.import.unchecked")
	case out.NoPeer:
		r.say("cli.key.import.no_peer", file)
	}
	var e *frontend.IdentityError
	if errors.As(err, &e) && e.Code == frontend.IdentityErrMismatch {
		for _, d := range e.Detail {
			fmt.Fprintln(r.Stderr, r.words(d))
		}
		return r.fail(ExitUnhealthy, "cli.key.import.mismatch", file, out.Serial)
	}
	if err != nil {
		return r.identityCmdFail(err, file, out.Peers)
	}
	if !out.Unchecked && !out.NoPeer {
		r.say("cli.key.import.checked", out.Serial)
	}
	r.printIdentitySaved(*toIdentityJSON(&id), *asJSON, "cli.key.import.done")
	r.say("cli.key.import.delete_file", file)
	return ExitOK
}

type keyShowJSON struct {
	Identity *identityJSON `json:"identity"`
	// Keyring: present (the private key matches the public key), absent,
	// mismatch (another key), or unavailable (no usable keyring).
	Keyring string `json:"keyring"`
	// KeyringPublicKey is the public half of the key the keyring holds,
	// when it differs from the identity's or there is no identity.
	KeyringPublicKey string `json:"keyring_public_key,omitempty"`
	// KeyringError is why the keyring is unavailable: the code
	// no_keyring, what to do in each language, the system's error as
	// detail.
	KeyringError *codedTextJSON `json:"keyring_error,omitempty"`
}

func cmdKeyShow(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key show")
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.key.show.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	ks, err := m.ShowKey(ctx)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	if ks.Adopted {
		r.say("cli.key.show.adopted")
	}
	id, kerr := ks.Identity, ks.KeyringErr
	doc := keyShowJSON{Identity: toIdentityJSON(id), Keyring: ks.Keyring, KeyringPublicKey: ks.KeyringPublicKey}
	if ks.Keyring == backend.KeyringUnavailable {
		doc.KeyringError = codedText("no_keyring", backend.NoKeyringKey(r.GOOS))
		doc.KeyringError.Detail = kerr.Error()
	}
	exit := ExitOK
	switch {
	case doc.Keyring == "unavailable":
		exit = ExitUsage
	case id == nil, doc.Keyring != "present":
		exit = ExitUnhealthy
	}
	if *asJSON {
		r.printJSON(doc)
		if exit == ExitUsage {
			fmt.Fprintln(r.Stderr, r.describeIdentity(kerr))
		}
		return exit
	}
	if id == nil && m.EnrolPlan(ctx).URL != "" {
		r.say("cli.key.no_identity_enrol")
	} else if id == nil {
		r.say("cli.key.no_identity")
	} else {
		r.out("cli.key.show.public_key", id.PublicKey)
		if len(id.Addresses) == 0 {
			r.out("cli.key.show.no_addresses")
		} else {
			r.out("cli.key.show.addresses", strings.Join(id.Addresses, ", "))
		}
		switch id.Source {
		case "generated":
			r.out("cli.key.show.source_generated")
		case backend.SourceAdopted:
			r.out("cli.key.show.source_adopted")
		default:
			r.out("cli.key.show.source_file", id.Source)
		}
		if !id.CreatedAt.IsZero() {
			r.out("cli.key.show.created", id.CreatedAt.Local().Format(time.DateTime))
		}
	}
	switch doc.Keyring {
	case "present":
		if id == nil {
			r.out("cli.key.show.keyring_orphan", doc.KeyringPublicKey)
		} else {
			r.out("cli.key.show.keyring_present")
		}
	case "mismatch":
		r.out("cli.key.show.keyring_mismatch", doc.KeyringPublicKey)
	case "absent":
		r.out("cli.key.show.keyring_absent")
	default:
		r.out("cli.key.show.keyring_unavailable")
		fmt.Fprintln(r.Stderr, r.describeIdentity(kerr))
	}
	return exit
}

func cmdKeyExportConf(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key export-conf")
	output := fs.String("o", "", "cli.key.flag.output")
	fs.StringVar(output, "output", "", "cli.key.flag.output")
	withKey := fs.Bool("include-private-key", false, "cli.key.flag.include_private_key")
	if !r.parseNoArgs(fs, args, "cli.key.export.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	cur, p, code := r.loadProfile(ctx, m, "cli.key.export.no_profile")
	if p == nil {
		return code
	}
	conf, err := m.ExportConf(ctx, p, *withKey)
	if err != nil {
		return r.identityFail(err)
	}
	data, err := conf.Bytes(r.t("cli.key.export.header", cur.Serial, r.Now().Local().Format(time.DateTime)), r.t("cli.key.export.note"))
	if err != nil {
		return r.failErr(ExitUnhealthy, err)
	}
	if *output == "" || *output == "-" {
		_, _ = r.Stdout.Write(data)
		return ExitOK
	}
	if err := backend.SaveConf(*output, data); err != nil {
		return r.failErr(ExitUsage, err)
	}
	if *withKey {
		r.say("cli.key.export.written_with_key", *output)
	} else {
		r.say("cli.key.export.written", *output)
	}
	return ExitOK
}

func cmdKeyDelete(ctx context.Context, r *run, args []string) int {
	fs := newFlagSet("relais key delete")
	if !r.parseNoArgs(fs, args, "cli.key.delete.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	deleted, err := m.DeleteIdentity(ctx)
	switch {
	case err != nil:
		return r.identityCmdFail(err, "", 0)
	case !deleted:
		r.say("cli.key.delete.nothing")
	default:
		r.say("cli.key.delete.done")
	}
	return ExitOK
}

func newFlagSet(name string) *flag.FlagSet { return flag.NewFlagSet(name, flag.ContinueOnError) }
