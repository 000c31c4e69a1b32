package main

import (
	"context"
	"errors"
	"time"

	"github.com/leakguard/leakguard/scanjob/resolveropen"
	"github.com/leakguard/leakguard/store/storeopen"
)

// serverTokenEnv holds the bearer token of `scan --server`. It is read from
// the environment only (no flag: a flag value lands in shell history and in
// the process list).
const serverTokenEnv = resolveropen.TokenEnv

// tokenResolver tells a scan what became of the tokens it found: the one
// leak step (revoker.Resolver), over a store opened here (--db) or a
// leakguard server (--server, webhook.Client), plus what to close after.
type tokenResolver = resolveropen.Resolver

// openLocalResolver opens the --db store (resolveropen.Local: a sqlite:
// file must exist, a scan never creates a store).
func (r *scanRun) openLocalResolver(ctx context.Context) (tokenResolver, error) {
	now := r.sio.Now
	if now == nil {
		now = time.Now
	}
	return resolveropen.Local(ctx, r.o.db, r.o.redis, r.job.Catalog(), storeopen.Options{Getenv: r.sio.Getenv, Log: r.log, Now: now})
}

// newRemoteResolver checks --server and LEAKGUARD_TOKEN
// (resolveropen.Remote); what is wrong with either is a bad command line.
func (r *scanRun) newRemoteResolver() (tokenResolver, error) {
	tok := ""
	if r.sio.Getenv != nil {
		tok = r.sio.Getenv(serverTokenEnv)
	}
	res, err := resolveropen.Remote(r.o.server, tok, r.client, r.job.Catalog())
	if err != nil {
		return nil, usageError("%v", err)
	}
	return res, nil
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
		res, err = r.newRemoteResolver()
	case r.o.db != "":
		res, err = r.openLocalResolver(ctx)
	default:
		return nil, nil
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return nil, err
	case errors.Is(err, storeopen.ErrBadDSN): // a DSN of no accepted form is a bad command line
		return nil, usageError("%v", err)
	case err != nil:
		r.job.Errorf("token store: %v", err)
		return nil, nil
	}
	return res, nil
}
