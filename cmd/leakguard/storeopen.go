package main

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

// openStore opens the store named by --db (docs/cli.md#store-and-cache), reading the
// process environment for the default location:
//   - "" : the embedded SQLite file in the user's data directory
//     ($XDG_DATA_HOME/leakguard/leakguard.db, else
//     ~/.local/share/leakguard/leakguard.db), directory created 0700, file 0600;
//   - "sqlite:PATH" (also "sqlite://PATH"): that SQLite file;
//   - "postgres://..." or "postgresql://...": PostgreSQL.
//
// Any other form is an error naming the accepted ones. The --redis cache is
// not applied here: callers wrap the result (see wrapRedis).
func openStore(ctx context.Context, dsn string, log zerolog.Logger, now func() time.Time) (store.Store, error) {
	return openStoreEnv(ctx, dsn, os.Getenv, log, now)
}

// openStoreEnv is openStore with the environment passed in (tests give
// their own XDG_DATA_HOME / HOME).
func openStoreEnv(ctx context.Context, dsn string, getenv func(string) string, log zerolog.Logger, now func() time.Time) (store.Store, error) {
	if now == nil {
		now = time.Now
	}
	switch {
	case dsn == "":
		path, err := defaultDBPath(getenv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		return openSQLite(ctx, path, log, now)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, usageError("--db sqlite: needs a path (sqlite:PATH)")
		}
		return openSQLite(ctx, path, log, now)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		st, err := postgres.Open(ctx, dsn, postgres.Options{Log: log, Now: now})
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", redactDSN(dsn), err)
		}
		log.Debug().Str("store", "postgres").Str("db", redactDSN(dsn)).Msg("store opened")
		// --redis hook point: callers wrap st with the rediscache decorator.
		return st, nil
	}
	if !strings.Contains(dsn, ":") {
		return nil, usageError("--db %q has no scheme: use sqlite:%s for a SQLite file, or postgres://...", dsn, dsn)
	}
	return nil, usageError("--db: unknown store scheme %q: want empty (embedded SQLite), sqlite:PATH or postgres://...", dsnScheme(dsn))
}

// openSQLite opens the SQLite store at path.
func openSQLite(ctx context.Context, path string, log zerolog.Logger, now func() time.Time) (store.Store, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{Log: log, Now: now})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	log.Debug().Str("store", "sqlite").Str("path", path).Msg("store opened")
	// --redis hook point: callers wrap st with the rediscache decorator.
	return st, nil
}

// defaultDBPath is the embedded store's file in the user's data directory.
func defaultDBPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "leakguard", "leakguard.db"), nil
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "leakguard", "leakguard.db"), nil
		}
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("no data directory: set XDG_DATA_HOME or HOME, or pass --db sqlite:PATH")
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "leakguard", "leakguard.db"), nil
}

// dsnScheme returns what stands before the first ":" in dsn, with the
// colon (never the rest, which may hold a password).
func dsnScheme(dsn string) string {
	if i := strings.Index(dsn, ":"); i >= 0 {
		return dsn[:i+1]
	}
	return ""
}

// redactDSN returns a PostgreSQL URL without its password.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsnScheme(dsn) + "//…"
	}
	return u.Redacted()
}
