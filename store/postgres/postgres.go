package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure a Store. The zero value is usable.
type Options struct {
	// Log receives operational messages (migrations). Default: disabled.
	Log zerolog.Logger
	// Now is the clock used where a request leaves a time unset.
	// Default: time.Now.
	Now func() time.Time
	// Schema, if set, is created if missing and used as the search_path of
	// every connection (tests use one schema per run). Lower-case letters,
	// digits and '_' only.
	Schema string
	// MaxConns caps the pool. Default: pgxpool's (max(4, CPUs)).
	MaxConns int32
}

// Store is the PostgreSQL store.Store. It is safe for concurrent use, also
// by several processes sharing the database.
type Store struct {
	pool *pgxpool.Pool
	log  zerolog.Logger
	now  func() time.Time
}

var _ store.Store = (*Store)(nil)

// schemaName is what Options.Schema accepts.
func schemaName() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`) }

// Open connects to the database at dsn (postgres:// or postgresql://) and
// applies pending migrations under an advisory lock. A database that cannot
// be reached gives an error wrapping store.ErrUnavailable.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w: %w", store.ErrInvalid, err)
	}
	if opts.Schema != "" {
		if !schemaName().MatchString(opts.Schema) {
			return nil, fmt.Errorf("postgres: open: %w: bad schema name %q", store.ErrInvalid, opts.Schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "leakguard"
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", mapErr(err))
	}
	s := &Store{pool: pool, log: opts.Log, now: opts.Now}
	if err := s.migrate(ctx, opts.Schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", mapErr(err))
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrate applies every embedded migration not yet recorded in
// schema_migrations, all in one transaction that first takes an advisory
// lock keyed by the schema: concurrent Opens wait for each other.
func (s *Store) migrate(ctx context.Context, schema string) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(
			'leakguard.migrate:' || coalesce(nullif($1, ''), current_schema(), ''), 0))`, schema); err != nil {
			return err
		}
		if schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
			return err
		}
		for _, name := range names {
			if err := s.applyMigration(ctx, tx, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", mapErr(err))
	}
	return nil
}

// applyMigration applies one migration file inside the migration
// transaction unless it is recorded already.
func (s *Store) applyMigration(ctx context.Context, tx pgx.Tx, name string) error {
	version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return fmt.Errorf("%s: %w", version, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		version, s.now()); err != nil {
		return fmt.Errorf("%s: %w", version, err)
	}
	s.log.Info().Str("store", "postgres").Str("migration", version).Msg("applied migration")
	return nil
}

// write runs fn in one READ COMMITTED transaction and commits it, or rolls
// back if fn fails.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return mapErr(pgx.BeginFunc(ctx, s.pool, fn))
}

// mapErr maps driver errors to the store sentinels, keeping the original:
// unique violations are ErrConflict, foreign-key violations ErrNotFound,
// failures to reach the server ErrUnavailable.
func mapErr(err error) error {
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) ||
		errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case pgErr.Code == "23503":
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"), pgErr.Code == "53300":
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || pgconn.Timeout(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// utc converts an optional time to UTC in place.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
