// Package serve is the `leakguard serve` process behind the command's
// flags: it opens the store (with its Redis cache), builds the lifecycle
// manager, the revoker and the HTTP server (token API, GitHub partner
// endpoint, health, metrics), and runs the expiry sweeper and the outbox
// deliverer in the background until Close drains and stops them all.
//
// Its errors about the configuration name the flag they come from
// (--notify-url, --notify-secret...): a Main is what the flags describe.
// It reads no flag and no environment itself (Getenv is passed in).
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/issuers/issuersopen"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
	"github.com/leakguard/leakguard/webhook"
)

// Main is the serve process: its configuration, its store and its servers.
// Set the configuration fields, call Run, and Close to shut down. The
// command sets it from flags; end-to-end tests reuse it with Addr
// "127.0.0.1:0" and a DB in t.TempDir().
type Main struct {
	Addr            string        // listen address (default 127.0.0.1:8080)
	DB              string        // store DSN (docs/cli.md#store-and-cache)
	Redis           string        // optional Redis cache URL
	NotifyURL       string        // where events are POSTed; "" keeps them in the outbox
	NotifySecret    string        // Standard Webhooks secret (whsec_...), required with NotifyURL
	NotifyLease     time.Duration // how long a claimed notification is hidden from a retry (0: deliverer default, 2 min)
	NotifyWorkers   int           // deliveries in flight at once (0: deliverer default, 4)
	NotifyTimeout   time.Duration // longest one delivery attempt (0: deliverer default, 10 s)
	NotifyAllowHTTP bool          // accept a plain-http NotifyURL to a host other than loopback
	GitHubKeysURL   string        // GitHub secret-scanning keys URL
	// GitLabToken, when set, serves GitLab's Token Revocation API to
	// callers presenting it as a bearer token, and reports the other
	// issuers' tokens GitLab sends to their issuers at Issuers.
	GitLabToken      string
	Issuers          issuersopen.Endpoints
	IssuersAllowHTTP bool // plain http to any issuer host (tests only)
	Policy           lifecycle.Policy
	Catalog          *patterns.Catalog // nil: patterns.Default()
	AllowedScopes    []string          // the only scopes tokens may be issued with; nil: any
	SweepInterval    time.Duration     // default 1 minute
	ShutdownTimeout  time.Duration     // default 20 s: in-flight requests drain this long
	Timeouts         webhook.Timeouts  // server timeouts (zero: webhook defaults)
	Logger           zerolog.Logger
	Now              func() time.Time    // nil: time.Now
	Getenv           func(string) string // the environment (the default DB's location); nil: an empty one
	HTTPClient       *http.Client        // key fetches and notification delivery (nil: 10 s timeout)

	// Set by Run.
	Store   store.Store
	Manager *lifecycle.Manager
	Server  *webhook.Server

	ln      net.Listener
	httpSrv *http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errc    chan error
	closed  sync.Once
}

// NewMain returns a Main with the built-in defaults.
func NewMain() *Main {
	return &Main{
		Addr: "127.0.0.1:8080", GitHubKeysURL: github.DefaultKeysURL,
		Policy: lifecycle.DefaultPolicy(), SweepInterval: time.Minute, ShutdownTimeout: 20 * time.Second,
		Logger: zerolog.Nop(), Now: time.Now,
	}
}

// Run opens the store, listens on Addr and starts serving, the sweeper and
// the outbox deliverer in the background. It returns once the server
// accepts connections; Err reports a server that stops on its own.
func (m *Main) Run(ctx context.Context) error {
	if err := m.defaults(); err != nil {
		return err
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	if err := m.buildServer(); err != nil {
		m.closeStore()
		return err
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		m.closeStore()
		return fmt.Errorf("serve: listen %s: %w", m.Addr, err)
	}
	m.ln, m.errc = ln, make(chan error, 1)
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.goBackground(bg)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.errc <- fmt.Errorf("serve: %w", err)
		}
	}()
	m.Logger.Info().Str("addr", ln.Addr().String()).Msg("leakguard serving")
	return nil
}

// defaults fills unset fields and checks the configuration.
func (m *Main) defaults() error {
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.Catalog == nil {
		m.Catalog = patterns.Default()
	}
	if m.HTTPClient == nil {
		m.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if m.SweepInterval <= 0 {
		m.SweepInterval = time.Minute
	}
	if m.ShutdownTimeout <= 0 {
		m.ShutdownTimeout = 20 * time.Second
	}
	return m.checkNotify()
}

// checkNotify checks the notification settings: a NotifyURL that events
// can be delivered to, with a valid secret.
func (m *Main) checkNotify() error {
	if m.NotifyWorkers < 0 || m.NotifyTimeout < 0 {
		return errors.New("--notify-workers and --notify-timeout must not be negative")
	}
	if m.NotifyURL == "" {
		return nil
	}
	if err := checkNotifyURL(m.NotifyURL, m.NotifyAllowHTTP); err != nil {
		return err
	}
	if _, err := webhook.ParseSecret(m.NotifySecret); err != nil {
		return fmt.Errorf("--notify-secret: %v", err)
	}
	return nil
}

// openStore opens the store (with the Redis cache when configured) and the
// lifecycle manager.
func (m *Main) openStore(ctx context.Context) error {
	st, err := storeopen.OpenCached(ctx, m.DB, m.Redis, storeopen.Options{Getenv: m.Getenv, Log: m.Logger, Now: m.Now})
	if err != nil {
		return err
	}
	m.Store = st
	m.Manager = lifecycle.New(st, m.Catalog, lifecycle.Options{Policy: m.Policy, Now: m.Now, Logger: m.Logger,
		AllowedScopes: m.AllowedScopes})
	return nil
}

// buildServer wires the revoker and the HTTP server.
func (m *Main) buildServer() error {
	rv := revoker.New(m.Store, m.Catalog, revoker.Options{Now: m.Now, Logger: m.Logger})
	cfg := webhook.Config{
		Manager: m.Manager, Revoker: rv, HTTPClient: m.HTTPClient, Logger: m.Logger, Now: m.Now,
		Senders:  []webhook.Sender{webhook.GitHubSender(m.GitHubKeysURL)},
		Timeouts: m.Timeouts, Ready: m.readyChecks(),
	}
	if m.GitLabToken != "" {
		rep, err := issuersopen.New(m.Store, m.Catalog, m.Issuers, m.IssuersAllowHTTP,
			// a GitLab batch waits for throttled issuers a few seconds at
			// most, then answers 429 and GitLab sends it again later
			issuers.Options{Now: m.Now, MaxWait: 5 * time.Second, SendTime: 20 * time.Second, Logger: m.Logger.With().Str("component", "issuers").Logger()})
		if err != nil {
			return fmt.Errorf("issuers: %w", err)
		}
		cfg.GitLabToken, cfg.Reporter = patterns.NewSecret(m.GitLabToken), rep
	}
	srv, err := webhook.New(cfg)
	if err != nil {
		return err
	}
	m.Server, m.httpSrv = srv, srv.HTTPServer()
	return nil
}

// readyChecks are /readyz's checks: the store, and Redis when configured.
func (m *Main) readyChecks() map[string]func(context.Context) error {
	checks := map[string]func(context.Context) error{"store": m.Store.Ping}
	if ping, ok := storeopen.RedisReadyCheck(m.Store); ok {
		checks["redis"] = ping
	}
	return checks
}

// goBackground starts the sweeper and, with a notify URL, the deliverer.
func (m *Main) goBackground(ctx context.Context) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.sweep(ctx)
	}()
	if m.NotifyURL == "" {
		m.Logger.Warn().Msg("no --notify-url: notifications wait in the outbox")
		return
	}
	key, _ := webhook.ParseSecret(m.NotifySecret) // checked in defaults
	client := *m.HTTPClient
	client.Timeout = 0 // NotifyTimeout bounds each attempt
	d := webhook.NewDeliverer(m.Store, webhook.DelivererOptions{
		URL: m.NotifyURL, Secret: key, Client: &client, Now: m.Now, Logger: m.Logger,
		Lease: m.NotifyLease, Workers: m.NotifyWorkers, AttemptTimeout: m.NotifyTimeout,
	})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Error().Err(err).Msg("outbox deliverer stopped")
		}
	}()
}

// sweep runs Manager.Sweep now and every SweepInterval until ctx ends.
func (m *Main) sweep(ctx context.Context) {
	t := time.NewTicker(m.SweepInterval)
	defer t.Stop()
	for {
		if err := m.Manager.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error().Err(err).Msg("sweep failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// URL is the server's base URL ("http://127.0.0.1:PORT").
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// Err delivers an error if the HTTP server stops on its own.
func (m *Main) Err() <-chan error { return m.errc }

// Close shuts down gracefully: stops accepting, drains in-flight requests
// (up to ShutdownTimeout), stops the sweeper and deliverer, flushes the
// manager and closes the store. Calls after the first do nothing.
func (m *Main) Close() error {
	var err error
	m.closed.Do(func() {
		if m.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
			if e := m.httpSrv.Shutdown(ctx); e != nil {
				err = fmt.Errorf("serve: shutdown: %w", e)
				_ = m.httpSrv.Close()
			}
			cancel()
		}
		if m.cancel != nil {
			m.cancel()
		}
		m.wg.Wait()
		m.closeStore()
		m.Logger.Info().Msg("leakguard stopped")
	})
	return err
}

// closeStore flushes the manager and closes the store.
func (m *Main) closeStore() {
	if m.Manager != nil {
		_ = m.Manager.Close()
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			m.Logger.Warn().Err(err).Msg("close store")
		}
	}
}

// checkNotifyURL checks --notify-url, where signed events are POSTed, with
// the rule of every URL leakguard sends something worth protecting to
// (webhook.CheckServerURL): an absolute http(s) URL with a host and no
// credentials, plain http only to a loopback host unless allowHTTP
// (--notify-allow-http).
func checkNotifyURL(raw string, allowHTTP bool) error {
	if _, err := webhook.CheckServerURL(raw, allowHTTP); err != nil {
		return fmt.Errorf("--notify-url: %v (accepted: an https URL, or plain http to a loopback host "+
			"127.0.0.0/8, ::1 or localhost, or to any host with --notify-allow-http)", err)
	}
	return nil
}
