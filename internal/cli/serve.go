package cli

// relais serve: the organisation's server (internal/server), which
// receives the laptops' drill reports and diagnostics bundles.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"relais/internal/server"
	"relais/internal/server/avis"
	srvconfig "relais/internal/server/config"
	"relais/internal/server/enrol"
)

// cmdServe runs the server; its subcommands (user, token, code, peer:
// serveCommands) are dispatched from the command table.
func cmdServe(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais serve", flag.ContinueOnError)
	path := fs.String("config", "", "cli.serve.flag.config")
	listen := fs.String("listen", "", "cli.serve.flag.listen")
	if !r.parseNoArgs(fs, args, "cli.serve.usage") {
		return ExitUsage
	}
	if *path == "" {
		return r.fail(ExitUsage, "cli.serve.no_config")
	}
	cfg, err := srvconfig.Load(*path, r.Getenv)
	if err != nil {
		return r.serveConfigError(*path, err)
	}
	if *listen != "" {
		// The same rules as the file's listen key.
		text := fmt.Sprintf("listen = %q\n", *listen)
		if cfg.TLS.Enabled() {
			text += "[tls]\ncert_file = \"c\"\nkey_file = \"k\"\n"
		}
		if _, err := srvconfig.Parse("--listen", []byte(text)); err != nil {
			return r.serveConfigError("--listen", err)
		}
		cfg.Listen = *listen
	}
	logger := slog.New(slog.NewTextHandler(r.Stderr, nil))
	err = server.Run(ctx, cfg, server.Options{Logger: logger, Ready: func(addr string) {
		scheme := "http"
		if cfg.TLS.Enabled() {
			scheme = "https"
		}
		if cfg.DatabaseURL != "" {
			r.say("cli.serve.listening_postgres", scheme+"://"+addr)
		} else {
			r.say("cli.serve.listening_sqlite", scheme+"://"+addr, cfg.DataDir)
		}
	}})
	var keyErr *avis.KeyError
	var tokErr *enrol.TokensFileError
	var gwErr *enrol.GatewayError
	switch {
	case err == nil:
		r.say("cli.serve.stopped")
		return ExitOK
	case errors.Is(err, server.ErrToken):
		return r.fail(ExitUsage, "cli.serve.token", cfg.SubmitTokenFile, server.MinTokenLength)
	case errors.Is(err, server.ErrDatabase):
		return r.fail(ExitUsage, "cli.serve.database", r.detail(err))
	case errors.Is(err, server.ErrTLS):
		return r.fail(ExitUsage, "cli.serve.tls", r.detail(err))
	case errors.Is(err, server.ErrGrantKey) && errors.As(err, &keyErr):
		return r.fail(ExitUsage, "cli.serve.grant_key."+keyErr.Code, keyErr.Path)
	case errors.Is(err, server.ErrSetupTokens) && errors.As(err, &tokErr):
		return r.fail(ExitUsage, "cli.serve.setup_tokens."+tokErr.Code, tokErr.Path, r.detail(errors.New(tokErr.Msg)))
	case errors.Is(err, server.ErrSetupTokens):
		return r.fail(ExitUsage, "cli.serve.setup_tokens.taken", cfg.WireGuard.SetupTokensFile, r.detail(err))
	case errors.Is(err, server.ErrWireGuard) && errors.As(err, &gwErr):
		if gwErr.Code == enrol.GatewayFailed {
			return r.fail(ExitUsage, "cli.serve.wireguard.failed", gwErr.Interface, r.detail(gwErr))
		}
		return r.fail(ExitUsage, "cli.serve.wireguard."+gwErr.Code, gwErr.Interface)
	case errors.As(err, &keyErr):
		return r.fail(ExitUsage, "cli.serve.notice_key."+keyErr.Code, keyErr.Path)
	case errors.Is(err, server.ErrListen):
		return r.fail(ExitUsage, "cli.serve.listen", cfg.Listen, r.detail(err))
	default:
		return r.fail(ExitUsage, "cli.serve.failed", r.detail(err))
	}
}

// detail is the system's own words for err, marked as a detail: they are
// in English whatever the person's language.
func (r *run) detail(err error) string {
	return r.t("cli.reason.detail", err.Error())
}

// serveConfigError words server.toml's problems, one a line.
func (r *run) serveConfigError(path string, err error) int {
	var list srvconfig.ErrorList
	if !errors.As(err, &list) {
		return r.fail(ExitUsage, "cli.serve.config_unreadable", path, r.detail(err))
	}
	lines := make([]string, 0, len(list))
	for _, e := range list {
		where := e.File
		if e.Line > 0 {
			where = fmt.Sprintf("%s:%d", e.File, e.Line)
		}
		lines = append(lines, r.t("cli.serve.config."+e.Code, where, e.Key, r.t("cli.reason.detail", e.Msg)))
	}
	return r.fail(ExitUsage, "cli.serve.config_invalid", path, strings.Join(lines, "\n"))
}
