// Package storeopen opens the token store a DSN names — the embedded SQLite
// file in the user's data directory by default, "sqlite:PATH" or
// "postgres://..." (docs/cli.md#store-and-cache) — and puts the optional
// Redis cache in front of it. It is the one place that knows every store
// adapter; commands call it instead of the adapters.
//
// Invariants: the environment is read only through Options.Getenv, and no
// error or log line holds a DSN's or a Redis URL's password. Its messages
// name the command line flags they come from (--db, --redis).
package storeopen

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/sqlite"
)

// ErrBadDSN is what the error of a DSN of no accepted form matches
// (errors.Is); its message says which forms are accepted.
var ErrBadDSN = errors.New("storeopen: bad DSN")

// badDSN is an error that matches ErrBadDSN.
type badDSN string

func (e badDSN) Error() string        { return string(e) }
func (e badDSN) Is(target error) bool { return target == ErrBadDSN }

func badDSNf(format string, a ...any) error { return badDSN(fmt.Sprintf(format, a...)) }

// Options are what opening a store needs besides the DSN.
type Options struct {
	// Getenv reads the environment (the default store's location); nil
	// reads an empty one.
	Getenv func(string) string
	Log    zerolog.Logger
	// Now is the stores' clock; nil: time.Now.
	Now func() time.Time
}

// Open opens the store named by dsn:
//   - "" : the embedded SQLite file in the user's data directory (see
//     DefaultPath), directory created 0700, file 0600;
//   - "sqlite:PATH" (also "sqlite://PATH"): that SQLite file;
//   - "postgres://..." or "postgresql://...": PostgreSQL.
//
// Any other form is an ErrBadDSN naming the accepted ones. The Redis cache
// is not applied here (see WithRedis and OpenCached).
func Open(ctx context.Context, dsn string, o Options) (store.Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case dsn == "":
		path, err := DefaultPath(o.Getenv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		return openSQLite(ctx, path, o)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, badDSNf("--db sqlite: needs a path (sqlite:PATH)")
		}
		return openSQLite(ctx, path, o)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		st, err := postgres.Open(ctx, dsn, postgres.Options{Log: o.Log, Now: o.Now})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", RedactDSN(dsn), err)
		}
		o.Log.Debug().Str("store", "postgres").Str("db", RedactDSN(dsn)).Msg("store opened")
		return st, nil
	}
	if !strings.Contains(dsn, ":") {
		return nil, badDSNf("--db %q has no scheme: use sqlite:%s for a SQLite file, or postgres://...", dsn, dsn)
	}
	return nil, badDSNf("--db: unknown store scheme %q: want empty (embedded SQLite), sqlite:PATH or postgres://...", scheme(dsn))
}

// OpenCached opens the store named by dsn (see Open) with the Redis cache
// at redisURL in front of it, when redisURL is not "". On error nothing is
// left open.
func OpenCached(ctx context.Context, dsn, redisURL string, o Options) (store.Store, error) {
	st, err := Open(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	cached, err := WithRedis(st, redisURL, o.Log)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return cached, nil
}

// openSQLite opens the SQLite store at path.
func openSQLite(ctx context.Context, path string, o Options) (store.Store, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{Log: o.Log, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	o.Log.Debug().Str("store", "sqlite").Str("path", path).Msg("store opened")
	return st, nil
}

// DefaultPath is the embedded store's file in the user's data directory:
// $XDG_DATA_HOME/leakguard/leakguard.db (an absolute XDG_DATA_HOME only),
// on Windows %LocalAppData%\leakguard\leakguard.db, else
// ~/.local/share/leakguard/leakguard.db. getenv reads the environment; nil
// reads an empty one.
func DefaultPath(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "leakguard", "leakguard.db"), nil
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "leakguard", "leakguard.db"), nil
		}
	}
	home := getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = getenv("USERPROFILE") // where os.UserHomeDir looks
	}
	if home == "" {
		return "", errors.New("no data directory: set XDG_DATA_HOME or HOME, or pass --db sqlite:PATH")
	}
	return filepath.Join(home, ".local", "share", "leakguard", "leakguard.db"), nil
}

// scheme returns what stands before the first ":" in dsn, with the colon
// (never the rest, which may hold a password).
func scheme(dsn string) string {
	if i := strings.Index(dsn, ":"); i >= 0 {
		return dsn[:i+1]
	}
	return ""
}

// RedactDSN returns a URL DSN (postgres://...) without its password.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return scheme(dsn) + "//…"
	}
	return u.Redacted()
}
