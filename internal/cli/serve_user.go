package cli

// relais serve user add|passwd|remove|list: the accounts of the server's
// pages. The password is read from stdin (one line), never from an
// argument (it would show in the process list and the shell's history).

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	srvconfig "relais/internal/server/config"
	"relais/internal/server/db"
)

const serveUserTimeout = time.Minute

func cmdServeUser(ctx context.Context, r *run, args []string) int {
	if len(args) == 0 {
		return r.fail(ExitUsage, "cli.serve.user.usage")
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("relais serve user "+verb, flag.ContinueOnError)
	path := fs.String("config", "", "cli.serve.flag.config")
	role := ""
	if verb == "add" {
		fs.StringVar(&role, "role", "", "cli.serve.user.flag.role")
	}
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	want := 1
	switch verb {
	case "add", "passwd", "remove":
	case "list":
		want = 0
	default:
		return r.fail(ExitUsage, "cli.serve.user.usage")
	}
	if len(pos) != want {
		return r.fail(ExitUsage, "cli.serve.user.usage")
	}
	if *path == "" {
		return r.fail(ExitUsage, "cli.serve.no_config")
	}
	if verb == "add" && !db.ValidRole(db.Role(role)) {
		return r.fail(ExitUsage, "cli.serve.user.role")
	}
	if want == 1 && !db.ValidAccountName(pos[0]) {
		return r.fail(ExitUsage, "cli.serve.user.name")
	}
	var hash string
	if verb == "add" || verb == "passwd" {
		pw, code := r.readPassword()
		if code != ExitOK {
			return code
		}
		var err error
		if hash, err = db.HashPassword(pw); err != nil {
			return r.fail(ExitUsage, "cli.serve.user.password_length", db.MinPassword, db.MaxPassword)
		}
	}
	cfg, err := srvconfig.Load(*path, r.Getenv)
	if err != nil {
		return r.serveConfigError(*path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, serveUserTimeout)
	defer cancel()
	d, err := db.Open(ctx, db.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
	if err != nil {
		return r.fail(ExitUsage, "cli.serve.database", err.Error())
	}
	defer d.Close()
	switch verb {
	case "add":
		err = d.CreateAccount(ctx, pos[0], db.Role(role), hash)
	case "passwd":
		err = d.SetPassword(ctx, pos[0], hash)
	case "remove":
		err = d.RemoveAccount(ctx, pos[0])
	case "list":
		list, lerr := d.Accounts(ctx)
		if lerr != nil {
			return r.fail(ExitUsage, "cli.serve.database", lerr.Error())
		}
		if len(list) == 0 {
			r.say("cli.serve.user.none")
		}
		for _, a := range list {
			fmt.Fprintf(r.Stdout, "%s\t%s\n", a.Name, a.Role)
		}
		return ExitOK
	}
	switch {
	case err == nil:
		r.say(map[string]string{"add": "cli.serve.user.done_add", "passwd": "cli.serve.user.done_passwd",
			"remove": "cli.serve.user.done_remove"}[verb], pos[0])
		return ExitOK
	case errors.Is(err, db.ErrAccountExists):
		return r.fail(ExitUsage, "cli.serve.user.exists", pos[0])
	case errors.Is(err, db.ErrNoAccount):
		return r.fail(ExitUsage, "cli.serve.user.unknown", pos[0])
	default:
		return r.fail(ExitUsage, "cli.serve.database", err.Error())
	}
}

// readPassword reads one line from stdin: the password, without its line
// ending.
func (r *run) readPassword() (string, int) {
	if r.Stdin == nil {
		return "", r.fail(ExitUsage, "cli.serve.user.no_password")
	}
	sc := bufio.NewScanner(r.Stdin)
	sc.Buffer(make([]byte, 4096), db.MaxPassword+2)
	if !sc.Scan() {
		return "", r.fail(ExitUsage, "cli.serve.user.no_password")
	}
	pw := strings.TrimRight(sc.Text(), "\r")
	if pw == "" {
		return "", r.fail(ExitUsage, "cli.serve.user.no_password")
	}
	return pw, ExitOK
}
