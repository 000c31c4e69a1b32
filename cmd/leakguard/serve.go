package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/leakguard/leakguard/internal/logbuf"
	"github.com/leakguard/leakguard/internal/serve"
	"github.com/leakguard/leakguard/internal/term"
)

// Main is the serve process (package serve): its configuration, its store
// and its servers. runServe sets it from flags; end-to-end tests reuse it
// with Addr "127.0.0.1:0" and a DB in t.TempDir().
type Main = serve.Main

// NewMain returns a Main with the built-in defaults.
func NewMain() *Main { return serve.NewMain() }

// serveFlags are serve's flags that do not land directly in Main.
type serveFlags struct {
	expiryFlags
	logLevel, config string
}

// register adds serve's flags to fs, filling m and o.
func (o *serveFlags) register(fs *flag.FlagSet, m *Main) {
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen `address`")
	fs.StringVar(&m.DB, "db", "", "store `DSN`: empty = embedded SQLite in the data directory, sqlite:PATH, postgres://...")
	fs.StringVar(&m.Redis, "redis", "", "optional Redis cache `URL`")
	fs.StringVar(&m.NotifyURL, "notify-url", "",
		"https `URL` receiving token.revoked / .expiring / .expired events (plain http only to a loopback host)")
	fs.StringVar(&m.NotifySecret, "notify-secret", "",
		"Standard Webhooks signing `secret` (whsec_<base64>); set it in "+envName("notify-secret")+" instead: command lines are visible to other users")
	fs.BoolVar(&m.NotifyAllowHTTP, "notify-allow-http", false, "accept a plain http --notify-url to any host (events travel in clear)")
	fs.DurationVar(&m.NotifyLease, "notify-lease", 2*time.Minute,
		"how long a notification being delivered is held before a crash-recovered retry (longer than a delivery)")
	fs.IntVar(&m.NotifyWorkers, "notify-workers", 4, "events delivered at once (`N`)")
	fs.DurationVar(&m.NotifyTimeout, "notify-timeout", 10*time.Second,
		"longest one delivery attempt may take (kept under four fifths of --notify-lease)")
	fs.StringVar(&m.GitHubKeysURL, "github-keys-url", m.GitHubKeysURL, "GitHub secret-scanning public keys `URL`")
	fs.StringVar(&m.GitLabToken, "gitlab-revocation-token", "", "serve GitLab's Token Revocation API to this bearer `token`; set it in "+
		envName("gitlab-revocation-token")+" instead: command lines are visible to other users")
	fs.StringVar(&m.Issuers.GitHub, "github-api-url", "", "where other issuers' GitHub tokens are reported (default https://api.github.com/)")
	fs.StringVar(&m.Issuers.GitLab, "gitlab-url", "", "where other issuers' GitLab tokens are reported (default https://gitlab.com/)")
	o.expiryFlags.register(fs, "longest expiry granted: `DURATION` or never (no cap)")
	fs.DurationVar(&m.SweepInterval, "sweep-interval", m.SweepInterval, "how often expiry is swept")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&o.config, "config", "", "token-format configuration `FILE` (TOML)")
}

// runServe is `leakguard serve`: it serves until ctx ends (SIGTERM or
// SIGINT), then drains requests and stops.
func runServe(ctx context.Context, args []string, sio IO) error {
	m := NewMain()
	var o serveFlags
	fs := newFlagSet("serve", sio.Stderr)
	o.register(fs, m)
	secretInArgs, err := parseServeFlags(fs, args, sio.Getenv)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("serve takes no arguments, got %q", fs.Arg(0))
	}
	logOut, closeLog := serveLogOutput(sio.Stderr, sio.Stderr)
	defer closeLog() // after Close: the last lines, "leakguard stopped" included
	if m.Logger, err = newLogger(logOut, o.logLevel); err != nil {
		return err
	}
	for _, name := range secretInArgs {
		m.Logger.Warn().Msg("--" + name + " on the command line is visible to other users of this machine; set " +
			envName(name) + " instead")
	}
	if err := m.Issuers.Check(); err != nil {
		return usageError("%v", err)
	}
	if m.Policy, err = o.policy(0); err != nil {
		return err
	}
	if m.Catalog, m.AllowedScopes, err = loadCatalog(o.config); err != nil {
		return err
	}
	m.Now, m.Getenv = sio.Now, envOf(sio)
	if err := m.Run(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err = <-m.Err():
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return err
}

// serveLogOutput is where serve logs: w itself when it is a terminal (the
// console format, written line by line), else a logbuf.Buffer over w that
// reports write errors on errOut. The returned close flushes it.
func serveLogOutput(w, errOut io.Writer) (io.Writer, func() error) {
	if term.Is(w) {
		return w, func() error { return nil }
	}
	b := logbuf.New(w, errOut, logbuf.DefaultSize, logbuf.DefaultInterval)
	return b, b.Close
}
