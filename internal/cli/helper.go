package cli

// relais helper (the privileged half of system mode) and the client side
// that relais up uses to reach it.

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/netip"
	"time"

	"relais/internal/config"
	"relais/internal/helper"
	"relais/internal/store"
	"relais/internal/tunnel"
)

func cmdHelper(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais helper", flag.ContinueOnError)
	socket := fs.String("socket", helper.SocketPath(r.Getenv), "cli.helper.flag.socket")
	group := fs.String("group", helper.DefaultGroup, "cli.helper.flag.group")
	iface := fs.String("interface", helper.DefaultInterface, "cli.helper.flag.interface")
	stateDir := fs.String("state-dir", helper.DefaultStateDir(r.Getenv), "cli.helper.flag.state_dir")
	if !r.parseNoArgs(fs, args, "cli.helper.usage") {
		return ExitUsage
	}
	logger := log.New(r.Stderr, "relais helper: ", log.LstdFlags)
	err := helper.Run(ctx, helper.Options{
		Socket:     *socket,
		Group:      *group,
		Interface:  *iface,
		StateDir:   *stateDir,
		ConfigPath: config.ManagedPath(r.configEnv()),
		Logf:       logger.Printf,
		Ready:      func(s string) { r.say("cli.helper.listening", s, *iface) },
	})
	switch {
	case errors.Is(err, helper.ErrNotRoot):
		return r.fail(ExitUsage, "cli.helper.not_root")
	case errors.Is(err, helper.ErrUnsupported):
		return r.fail(ExitUsage, "cli.helper.unsupported")
	case err != nil:
		return r.fail(ExitUsage, "cli.helper.failed", err.Error())
	}
	r.say("cli.helper.stopped")
	return ExitOK
}

// helperSocket is where relais up finds the helper.
func (r *run) helperSocket() string { return helper.SocketPath(r.Getenv) }

// systemHelperAvailable reports whether the privileged helper answers on
// its socket (auto mode uses system mode then).
func (r *run) systemHelperAvailable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	c, err := helper.Dial(ctx, r.helperSocket())
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startSystemTunnel asks the privileged helper to bring the tunnel up from
// the cached (signed) profile, handing it the device's configuration. The
// tunnel lives as long as the returned Tunnel is open.
func (r *run) startSystemTunnel(ctx context.Context, m *machine, cur *store.CachedProfile, cfg tunnel.Config) (tunnel.Tunnel, error) {
	if cur == nil {
		return nil, errors.New("cli: system mode needs a cached profile")
	}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	c, err := helper.Dial(dctx, r.helperSocket())
	cancel()
	if err != nil {
		return nil, err // describe words it (helperReason)
	}
	uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The helper takes host addresses only (a .conf's "10.99.0.2/24" is
	// the address 10.99.0.2; the routes come from the signed profile).
	hosts := make([]netip.Prefix, len(cfg.Addresses))
	for i, a := range cfg.Addresses {
		hosts[i] = netip.PrefixFrom(a.Addr(), a.Addr().BitLen())
	}
	t, err := c.Up(uctx, helper.UpRequest{Profile: cur.Bytes, Signature: cur.Signature, PrivateKey: cfg.PrivateKey, Addresses: hosts, PresharedKey: cfg.Peer.PresharedKey})
	if err != nil {
		c.Close()
		return nil, err // describe words it (helperReason)
	}
	return t, nil
}

// helperCodeKeys names the sentence for each of the helper's error codes.
var helperCodeKeys = map[helper.Code]string{
	helper.CodeForbidden:          "cli.helper.error.forbidden",
	helper.CodeBadRequest:         "cli.helper.error.bad_request",
	helper.CodeNoConfig:           "cli.helper.error.no_config",
	helper.CodeNoTrustedKeys:      "cli.helper.error.no_trusted_keys",
	helper.CodeUnsigned:           "cli.helper.error.unsigned",
	helper.CodeMalformedSignature: "cli.helper.error.malformed_signature",
	helper.CodeUntrustedKey:       "cli.helper.error.untrusted_key",
	helper.CodeBadSignature:       "cli.helper.error.bad_signature",
	helper.CodeInvalidProfile:     "cli.helper.error.invalid",
	helper.CodeTunnel:             "cli.helper.error.tunnel",
	helper.CodeNotUp:              "cli.helper.error.not_up",
	helper.CodeNotOwner:           "cli.helper.error.not_owner",
	helper.CodeNoDriver:           "cli.helper.error.no_driver",
	helper.CodeBusy:               "cli.helper.error.busy",
	helper.CodeRollback:           "cli.helper.error.rollback",
	helper.CodeExpired:            "cli.helper.error.expired",
	helper.CodeOtherOwner:         "cli.helper.error.other_owner",
	helper.CodeMarkUnreadable:     "cli.helper.error.mark_unreadable",
	helper.CodeNotRoot:            "cli.helper.error.not_root",
	helper.CodeAddressInUse:       "cli.helper.error.address_in_use",
	helper.CodeNoResolver:         "cli.helper.error.no_resolver",
}
