package office

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"relais/internal/server"
	"relais/internal/server/config"
	"relais/internal/server/db"
)

// The demo server: the organisation's server (`relais serve`, package
// server) running in the office's process on its own loopback listener,
// with SQLite in the demo's data directory. The profile's
// helpdesk.report_url and upload_url are its intake; loopback is a trusted
// network, so the laptop's outbox submits without a token. Its pages
// (Campagne, Dossiers) are open to the demo accounts below.

// ServerDirName is the usual name of the demo server's data directory, in
// the demo's data directory.
const ServerDirName = "serveur-demo"

// throwawayKeyName holds the helpdesk's throwaway identity, in a temporary
// data directory, for the server's Dossiers to decrypt with.
const throwawayKeyName = "helpdesk-throwaway.agekey"

// DemoAccount is an account of the demo server, one per role, with the
// password the office made at start (a new one each start: never a fixed
// password). Demo only.
type DemoAccount struct {
	Name     string
	Role     db.Role
	Password string
}

// demoAccountNames are the demo accounts' names by role.
var demoAccountNames = []struct {
	name string
	role db.Role
}{
	{"continuite.demo", db.RoleContinuity},
	{"soutien.demo", db.RoleHelpdesk},
	{"ambassadeur.demo", db.RoleAmbassador},
}

// serverState is the office's side of the demo server.
type serverState struct {
	db             *db.DB
	dir            string // the data directory
	tempDir        string // removed at Close; "" when the directory was given
	closed         atomic.Bool
	reportRequests atomic.Int64
	reportsDown    atomic.Bool
}

// startServer opens the demo server's database, makes the demo accounts
// and serves the server on 127.0.0.1. It sets ServerURL, ReportURL,
// UploadURL and DemoAccounts.
func (o *Office) startServer(ctx context.Context, dataDir string) error {
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "relais-demo-server-")
		if err != nil {
			return fmt.Errorf("office: server directory: %w", err)
		}
		o.srv.tempDir, dataDir = dir, dir
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("office: server directory: %w", err)
	}
	identityFile := o.HelpdeskKeyFile
	if identityFile == "" {
		identityFile = filepath.Join(dataDir, throwawayKeyName)
		content := fmt.Sprintf("# Relais demo: a throwaway service desk key.\n%s\n", o.HelpdeskIdentity)
		if err := writeKeyFile(identityFile, []byte(content)); err != nil {
			return fmt.Errorf("office: server: %w", err)
		}
	}
	cfg, err := config.Parse("demo-server.toml", fmt.Appendf(nil, "helpdesk_identity_file = %s\n", strconv.Quote(identityFile)))
	if err != nil {
		return fmt.Errorf("office: server configuration: %w", err)
	}
	o.srv.dir = dataDir
	d, err := db.Open(ctx, db.Options{DataDir: dataDir})
	if err != nil {
		return fmt.Errorf("office: server database: %w", err)
	}
	o.srv.db = d
	if err := o.demoAccounts(ctx); err != nil {
		return err
	}
	s, err := server.New(cfg, d, server.Options{})
	if err != nil {
		return fmt.Errorf("office: server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("office: server: %w", err)
	}
	o.ServerURL = "http://" + ln.Addr().String()
	o.ReportURL, o.UploadURL = o.ServerURL+server.PathReports, o.ServerURL+server.PathBundles
	o.serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == server.PathReports {
			o.srv.reportRequests.Add(1)
			if o.srv.reportsDown.Load() {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, `{"error":"unavailable","message":"the report intake is down (demo)"}`)
				return
			}
		}
		s.ServeHTTP(w, r)
	}))
	return nil
}

// demoAccounts makes one account per role with a new password, or gives
// an existing one (a demo started again in the same directory) the new
// password.
func (o *Office) demoAccounts(ctx context.Context) error {
	for _, a := range demoAccountNames {
		pw := rand.Text() // 26 characters, 130 bits
		hash, err := db.HashGeneratedPassword(pw)
		if err != nil {
			return fmt.Errorf("office: demo account: %w", err)
		}
		err = o.srv.db.CreateAccount(ctx, a.name, a.role, hash)
		if errors.Is(err, db.ErrAccountExists) {
			err = o.srv.db.SetPassword(ctx, a.name, hash)
		}
		if err != nil {
			return fmt.Errorf("office: demo account %s: %w", a.name, err)
		}
		o.DemoAccounts = append(o.DemoAccounts, DemoAccount{Name: a.name, Role: a.role, Password: pw})
	}
	return nil
}

// DemoAccount returns the demo account of role.
func (o *Office) DemoAccount(role db.Role) (DemoAccount, bool) {
	for _, a := range o.DemoAccounts {
		if a.Role == role {
			return a, true
		}
	}
	return DemoAccount{}, false
}

// closeServer closes the database and removes a temporary directory, once
// the listeners are closed.
func (o *Office) closeServer() {
	o.srv.closed.Store(true)
	if o.srv.db != nil {
		o.srv.db.Close()
	}
	if o.srv.tempDir != "" {
		os.RemoveAll(o.srv.tempDir)
	}
}

// DB is the demo server's database (for tests and the demo's tools),
// while the office runs.
func (o *Office) DB() *db.DB { return o.srv.db }

// Reports returns the distinct drill reports the server's database holds
// (those of earlier demos in the same directory too), in the order they
// first arrived; nil if the database does not answer. Once the office is
// closed, it reads the database from its directory (nil for a temporary
// one, removed at Close).
func (o *Office) Reports() [][]byte {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := o.srv.db
	if o.srv.closed.Load() {
		if o.srv.tempDir != "" || o.srv.dir == "" {
			return nil
		}
		var err error
		if d, err = db.Open(ctx, db.Options{DataDir: o.srv.dir}); err != nil {
			return nil
		}
		defer d.Close()
	}
	if d == nil {
		return nil
	}
	keys, err := d.ReportKeys(ctx)
	if err != nil {
		return nil
	}
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		b, err := d.ReportBody(ctx, k)
		if err != nil {
			return nil
		}
		out = append(out, b)
	}
	return out
}

// ReportRequests counts the requests the report intake got, repeats and
// refusals included.
func (o *Office) ReportRequests() int { return int(o.srv.reportRequests.Load()) }

// SetReportsDown makes the report intake answer 503 (down) or work again,
// to show and test delivery that waits for the network.
func (o *Office) SetReportsDown(down bool) { o.srv.reportsDown.Store(down) }
