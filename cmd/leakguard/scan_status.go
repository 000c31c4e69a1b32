package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook"
)

// serverTokenEnv holds the bearer token of `scan --server`. It is read from
// the environment only (no flag: a flag value lands in shell history and in
// the process list).
const serverTokenEnv = "LEAKGUARD_TOKEN"

// tokenResolver tells a scan what became of the tokens it found: the one
// leak step (revoker.Resolver), over a store opened here (--db) or a
// leakguard server (--server, webhook.Client), plus what to close after.
type tokenResolver interface {
	revoker.Resolver
	Close() error
}

// localResolver is the revoker over a store opened here, closing the store.
type localResolver struct {
	*revoker.Revoker
	st store.Store
}

func (l localResolver) Close() error { return l.st.Close() }

// openLocalResolver opens the --db store. A sqlite: file must exist: a
// scan never creates a store (a typo would otherwise report every token
// unknown from an empty new database).
func openLocalResolver(ctx context.Context, o scanOptions, sio IO, cat *patterns.Catalog, log zerolog.Logger) (tokenResolver, error) {
	if path, ok := strings.CutPrefix(o.db, "sqlite:"); ok {
		path = strings.TrimPrefix(path, "//")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--db: no token store at %s (scan does not create one): %w", path, errors.Unwrap(err))
		}
	}
	now := sio.Now
	if now == nil {
		now = time.Now
	}
	st, err := openCachedStore(ctx, o.db, o.redis, sio.Getenv, log, now)
	if err != nil {
		return nil, err
	}
	return localResolver{revoker.New(st, cat, revoker.Options{Now: now, Logger: log}), st}, nil
}

// newRemoteResolver checks --server and LEAKGUARD_TOKEN. Plain http is
// accepted for loopback hosts only: the bearer token must not cross a
// network in clear.
func newRemoteResolver(server string, getenv func(string) string, client *http.Client, cat *patterns.Catalog) (tokenResolver, error) {
	if _, err := webhook.CheckServerURL(server, false); err != nil {
		return nil, usageError("--server: %v", err)
	}
	tok := ""
	if getenv != nil {
		tok = strings.TrimSpace(getenv(serverTokenEnv))
	}
	if tok == "" {
		return nil, usageError("--server needs a bearer token (a service token) in the environment variable %s", serverTokenEnv)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return nil, usageError("%s holds whitespace: it must be one token", serverTokenEnv)
	}
	c, err := webhook.NewClient(server, patterns.NewSecret(tok), client, cat)
	if err != nil {
		return nil, usageError("--server: %v", err)
	}
	return c, nil
}

// openResolver opens what --db or --server names (nil when neither is
// given: then no store is touched and findings carry no status). A bad
// command line is returned as an error that stops the scan; a store or
// server that cannot be reached is reported (exit 2) and the scan goes on,
// its findings printed with status unknown.
func (r *scanRun) openResolver(ctx context.Context) (tokenResolver, error) {
	var (
		res tokenResolver
		err error
	)
	switch {
	case r.o.server != "":
		res, err = newRemoteResolver(r.o.server, r.sio.Getenv, r.client, r.sc.Catalog())
	case r.o.db != "":
		res, err = openLocalResolver(ctx, r.o, r.sio, r.sc.Catalog(), r.log)
	default:
		return nil, nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return nil, err
	}
	if err != nil {
		r.errorf("token store: %v", err)
		return nil, nil
	}
	return res, nil
}

// settle fills the status of every finding and, with --revoke, its action,
// when --db or --server is given, through the one leak step
// (revoker.Resolver): each distinct token of ours is looked up (or revoked,
// with the location of its first finding as the reason) once; findings of
// other issuers' formats are "unknown" (their store is not ours) with
// action "none". What could not be answered is reported (exit 2) and stays
// unknown.
func (r *scanRun) settle(ctx context.Context, findings []scanner.Finding) {
	if (r.o.db == "" && r.o.server == "") || len(findings) == 0 {
		return
	}
	got := map[leakguard.Hash]revoker.Outcome{}
	if r.resolver != nil {
		actor := defaultActor(r.sio)
		reps := make([]revoker.Report, len(findings))
		for i, f := range findings {
			reps[i] = revoker.Report{Secret: f.Secret, Hash: f.TokenHash, Rule: f.Rule, Source: f.Source,
				URL: f.URL, Path: f.Path, Line: f.Line, Commit: f.Commit, Actor: actor}
		}
		outs, err := r.resolver.Resolve(ctx, reps, r.o.revoke)
		switch {
		case err != nil && r.o.revoke:
			r.errorf("token store: revoke: %v", err)
		case err != nil:
			r.errorf("token store: status look-up: %v", err)
		}
		for _, o := range outs {
			got[o.Hash] = o
			if o.Action == leakguard.ActionRevoked {
				r.revoked++
			}
		}
	}
	for i := range findings {
		f := &findings[i]
		o, ok := got[leakguard.Hash(f.TokenHash)]
		f.Status = leakguard.StateUnknown
		if ok {
			f.Status = o.State
		}
		if r.o.revoke {
			f.Action = leakguard.ActionNone
			if ok {
				f.Action = o.Action
			}
		}
	}
}
