package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"relais/internal/server/config"
	"relais/internal/server/db"
)

// HTTP server timeouts. ReadTimeout covers a bundle's upload (64 MiB by
// default) from a slow tunnel.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 20 * time.Second
)

// Errors of Run, for front ends to word (each wraps the cause).
var (
	ErrDatabase = errors.New("server: database") // it did not open (or migrate)
	ErrTLS      = errors.New("server: tls")      // the certificate or key did not load
	ErrListen   = errors.New("server: listen")   // the address is taken or not ours
)

// Run opens the database, listens on cfg.Listen (HTTPS when [tls] is set)
// and serves until ctx ends, then shuts down gracefully: requests under
// way finish (within shutdownTimeout), the database is closed.
func Run(ctx context.Context, cfg *config.Config, o Options) error {
	d, err := db.Open(ctx, db.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Now: o.Now})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDatabase, err)
	}
	defer d.Close()
	s, err := New(cfg, d, o)
	if err != nil {
		return err
	}
	defer s.Close()
	if s.Enrol != nil {
		// At start, then every reconcile_interval: the interface agrees
		// with the database again after a crash or a revocation made
		// elsewhere (the CLI, another instance).
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		if _, err := s.Enrol.Reconcile(rctx); err != nil {
			s.log.Warn("reconcile", "err", err.Error())
		}
		cancel()
		go s.Enrol.Run(ctx, cfg.WireGuard.Reconcile)
	}
	var tlsConfig *tls.Config
	if cfg.TLS.Enabled() {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrTLS, err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrListen, err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("listening", "addr", ln.Addr().String(), "tls", tlsConfig != nil, "database", string(d.Dialect()))
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.log.Info("stopped")
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}
