package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/lifecycle/tokencli"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
)

// tokenFlags are the flags every token subcommand shares.
type tokenFlags struct {
	expiryFlags
	db, redis, logLevel, config string
	quiet                       bool
	format                      string
}

// register adds the shared flags to fs.
func (o *tokenFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.db, "db", "", "store `DSN`: empty = embedded SQLite in the data directory, sqlite:PATH, postgres://...")
	fs.StringVar(&o.redis, "redis", "", "optional Redis cache `URL` (redis://host:port/db)")
	fs.StringVar(&o.logLevel, "log-level", "", "log `level` on stderr: debug, info, warn (default), error")
	fs.StringVar(&o.config, "config", "", "token-format configuration `FILE` (TOML: custom prefixes, [scopes] allowed)")
	o.expiryFlags.register(fs, "longest expiry granted (longer asks are capped): `DURATION` or never (no cap)")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but the requested output and errors")
	fs.StringVar(&o.format, "format", "text", "output `format`: text or json")
}

// output is how the answer is written (--format, --quiet).
func (o *tokenFlags) output() tokencli.Output {
	return tokencli.Output{JSON: o.format == "json", Quiet: o.quiet}
}

// tokenEnv is an opened store with its lifecycle manager.
type tokenEnv struct {
	mgr *lifecycle.Manager
	st  store.Store
	log zerolog.Logger
}

// close flushes the manager's background writes, then closes the store.
func (e *tokenEnv) close() {
	_ = e.mgr.Close()
	if err := e.st.Close(); err != nil {
		e.log.Warn().Err(err).Msg("close store")
	}
}

// open builds the logger, store (with the Redis cache when --redis) and
// manager the flags describe.
func (o *tokenFlags) open(ctx context.Context, sio IO) (*tokenEnv, error) {
	if o.format != "text" && o.format != "json" {
		return nil, usageError("--format must be text or json, not %q", o.format)
	}
	level := o.logLevel
	if level == "" {
		level = "warn"
	}
	log, err := newLogger(sio.Stderr, level)
	if err != nil {
		return nil, err
	}
	pol, err := o.policy(90 * lifecycle.Day)
	if err != nil {
		return nil, err
	}
	cat, allowed, err := loadCatalog(o.config)
	if err != nil {
		return nil, err
	}
	st, err := storeopen.OpenCached(ctx, o.db, o.redis, storeopen.Options{Getenv: sio.Getenv, Log: log, Now: sio.Now})
	if err != nil {
		return nil, err
	}
	mgr := lifecycle.New(st, cat, lifecycle.Options{Policy: pol, Now: sio.Now, Logger: log, AllowedScopes: allowed})
	return &tokenEnv{mgr: mgr, st: st, log: log}, nil
}

func tokenUsage(w io.Writer) { fmt.Fprint(w, usageText("token")) }

// runToken dispatches the token subcommands.
func runToken(ctx context.Context, args []string, sio IO) error {
	if len(args) == 0 {
		tokenUsage(sio.Stderr)
		return &exitError{code: exitFail}
	}
	subs := map[string]func(context.Context, []string, IO) error{
		"issue": runTokenIssue, "verify": runTokenVerify, "revoke": runTokenRevoke, "list": runTokenList,
		"rotate": runTokenRotate,
	}
	if run, ok := subs[args[0]]; ok {
		return run(ctx, args[1:], sio)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		tokenUsage(sio.Stderr)
		return nil
	}
	tokenUsage(sio.Stderr)
	return usageError("unknown subcommand %q", args[0])
}

// parseTokenFlags parses a subcommand's flags (with environment twins) and
// rejects positional arguments.
func parseTokenFlags(fs *flag.FlagSet, args []string, sio IO) error {
	if err := parseFlags(fs, args, sio.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// tokenCommand is a token subcommand of lifecycle/tokencli: its own
// flags, checked (and stdin read) by Prepare before the store opens.
type tokenCommand interface {
	Register(fs *flag.FlagSet)
	Prepare(ctx context.Context, stdin io.Reader) error
	Run(ctx context.Context, mgr *lifecycle.Manager, o tokencli.Output, s tokencli.Streams) error
}

// runTokenCmd runs c with the shared token flags on the store they name.
func runTokenCmd(ctx context.Context, name string, args []string, sio IO, c tokenCommand) error {
	var o tokenFlags
	fs := newFlagSet(name, sio.Stderr)
	o.register(fs)
	c.Register(fs)
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	if err := c.Prepare(ctx, sio.Stdin); err != nil {
		return usageError("%w", err)
	}
	env, err := o.open(ctx, sio)
	if err != nil {
		return err
	}
	defer env.close()
	err = c.Run(ctx, env.mgr, o.output(), tokencli.Streams{Stdin: sio.Stdin, Stdout: sio.Stdout, Stderr: sio.Stderr})
	if xe := (*tokencli.ExitError)(nil); errors.As(err, &xe) {
		return &exitError{code: xe.Code, err: xe.Err}
	}
	return err
}

// defaultActor names the CLI user in audit events.
func defaultActor(sio IO) string {
	for _, k := range []string{"LEAKGUARD_ACTOR", "USER", "USERNAME"} {
		if v := strings.TrimSpace(sio.Getenv(k)); v != "" {
			return "cli:" + v
		}
	}
	return "cli"
}

func runTokenIssue(ctx context.Context, args []string, sio IO) error {
	var o tokenFlags
	var owner, name, typ, expires string
	var scopes tokencli.ScopeFlags
	fs := newFlagSet("token issue", sio.Stderr)
	o.register(fs)
	fs.StringVar(&owner, "owner", "", "who owns the token and is told when it leaks or expires (required)")
	fs.StringVar(&name, "name", "", "a label for the token (required)")
	fs.StringVar(&typ, "type", patterns.TypeUser, "token `type`: user, service or admin")
	fs.StringVar(&expires, "expires", "", "lifetime: `DURATION` (1s, 24h, 90d) or never; default --default-expiry")
	fs.Var(&scopes, "scope", "a `SCOPE` the token carries for good (repeatable; see [scopes] in --config)")
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	if strings.TrimSpace(owner) == "" || strings.TrimSpace(name) == "" {
		return usageError("--owner and --name are required")
	}
	env, err := o.open(ctx, sio)
	if err != nil {
		return err
	}
	defer env.close()
	is, err := env.mgr.Issue(ctx, lifecycle.IssueRequest{Owner: owner, Name: name, Type: typ,
		ExpiresIn: expires, Actor: defaultActor(sio), Source: "cli", Scopes: scopes})
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if _, err := fmt.Fprintln(sio.Stdout, is.Secret.Reveal()); err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("write token: %w", err)}
	}
	if !o.quiet {
		tokencli.IssueNote(sio.Stderr, is.Token, expires, env.mgr.Policy())
	}
	return nil
}
