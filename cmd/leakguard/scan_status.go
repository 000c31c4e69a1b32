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
// leakguard server (--server, webhook.Client), reporting other issuers'
// tokens with --revoke-others, plus what to close after.
type tokenResolver = resolveropen.Resolver

// openResolver opens what --db, --server and --revoke-others name
// (resolveropen.Open; nil when none is given: then no store is touched and
// findings carry no status). A bad command line is returned as an error
// that stops the scan; a store or server that cannot be reached is
// reported (exit 2) and the scan goes on, its findings printed with
// status unknown.
func (r *scanRun) openResolver(ctx context.Context) (tokenResolver, error) {
	now := r.sio.Now
	if now == nil {
		now = time.Now
	}
	res, err := resolveropen.Open(ctx, resolveropen.Config{
		DB: r.o.db, Redis: r.o.redis, Server: r.o.server, ServerToken: envOf(r.sio)(serverTokenEnv),
		Client: r.client, Catalog: r.job.Catalog(), Others: r.o.others.config(r.log, now),
		Store: storeopen.Options{Getenv: r.sio.Getenv, Log: r.log, Now: now},
	})
	var bad *resolveropen.UsageError
	switch {
	case errors.As(err, &bad):
		return nil, usageError("%v", bad.Err)
	case err != nil:
		r.job.Errorf("token store: %v", err)
		return nil, nil
	}
	return res, nil
}
