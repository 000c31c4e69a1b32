package resolveropen

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/leakguard/leakguard/issuers/issuersopen"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
)

// Config says what a scan resolves its findings through.
type Config struct {
	DB, Redis   string // --db (a store that must exist) and its --redis cache
	Server      string // --server: a leakguard server instead of a store
	ServerToken string // its bearer token (TokenEnv)
	Client      *http.Client
	Catalog     *patterns.Catalog
	Store       storeopen.Options
	// Others, when set, reports other issuers' tokens to them
	// (issuers.Resolver) from a queue in the --db store, or in the
	// embedded default store when there is none (--server, or no store
	// named).
	Others *issuersopen.Config
}

// UsageError is an error of a bad command line (a bad --server, --db or
// issuer endpoint); Open's other errors say a store or server could not
// be reached.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Open opens what cfg names: the revoker over --db, the client of
// --server, wrapped in an issuers.Resolver when cfg.Reporter is set; nil
// when there is nothing to resolve through.
func Open(ctx context.Context, cfg Config) (Resolver, error) {
	var (
		res Resolver
		err error
	)
	switch {
	case cfg.Server != "":
		res, err = Remote(cfg.Server, cfg.ServerToken, cfg.Client, cfg.Catalog)
		if err != nil {
			return nil, &UsageError{err}
		}
	case cfg.DB != "":
		res, err = Local(ctx, cfg.DB, cfg.Redis, cfg.Catalog, cfg.Store)
		if errors.Is(err, storeopen.ErrBadDSN) {
			return nil, &UsageError{err}
		}
		if err != nil {
			return nil, err
		}
	}
	if cfg.Others == nil {
		return res, nil
	}
	return withReporter(ctx, res, cfg)
}

// withReporter wraps res (nil: nothing of ours is resolved) in an
// issuers.Resolver whose queue is res's store, or the embedded default.
func withReporter(ctx context.Context, res Resolver, cfg Config) (Resolver, error) {
	closer := func() error { return nil }
	var q store.IssuerReports
	if l, ok := res.(local); ok {
		q = l.st
	} else {
		st, err := storeopen.Open(ctx, "", cfg.Store)
		if err != nil {
			if res != nil {
				_ = res.Close()
			}
			return nil, fmt.Errorf("the queue of reports to issuers: %w", err)
		}
		q, closer = st, st.Close
	}
	var next revoker.Resolver
	if res != nil {
		next = res
	}
	wrapped, err := cfg.Others.Wrap(next, q, cfg.Catalog)
	if err != nil {
		_ = closer()
		if res != nil {
			_ = res.Close()
		}
		return nil, &UsageError{fmt.Errorf("--revoke-others: %w", err)}
	}
	r := &reporting{Resolver: wrapped, next: res, close: closer}
	return r, nil
}

// reporting is an issuers.Resolver (Wrap) that closes what it wraps and its
// queue's store.
type reporting struct {
	revoker.Resolver
	next  Resolver
	close func() error
}

// RecordBypass passes a pre-receive bypass on to the resolver of our
// tokens (revoker.BypassRecorder); without one, nothing records it (an
// error: the scan found no token of ours to record it on anyway).
func (r *reporting) RecordBypass(ctx context.Context, b revoker.Bypass) (revoker.BypassOutcome, error) {
	rec, ok := r.next.(revoker.BypassRecorder)
	if !ok {
		return revoker.BypassOutcome{}, errors.New("no token store or server to record the bypass")
	}
	return rec.RecordBypass(ctx, b)
}

func (r *reporting) Close() error {
	var err error
	if r.next != nil {
		err = r.next.Close()
	}
	return errors.Join(err, r.close())
}
