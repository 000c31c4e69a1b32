package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/leakguard/leakguard/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeLayout is the one layout every stored time uses: UTC, fixed width,
// nanoseconds, so that comparing the text compares the times.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Options configure a Store. The zero value is usable.
type Options struct {
	// Log receives operational messages (migrations). Default: disabled.
	Log zerolog.Logger
	// Now is the clock used where a request leaves a time unset.
	// Default: time.Now.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process holding
	// the write lock. Default: 5s.
	BusyTimeout time.Duration
	// MaxReaders caps the read connections. Default: 8.
	MaxReaders int
}

// Store is the SQLite store.Store. It is safe for concurrent use, also by
// several processes sharing the file.
type Store struct {
	w    *sql.DB // the single writer connection (BEGIN IMMEDIATE)
	r    *sql.DB // read-only connections
	log  zerolog.Logger
	now  func() time.Time
	path string

	byHash *sql.Stmt // prepared hot-path look-up on the readers
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed, with mode 0600) the database file at path
// and applies pending migrations. The directory must exist.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open: %w: bad database path %q", store.ErrInvalid, path)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxReaders <= 0 {
		opts.MaxReaders = 8
	}
	if err := createFile(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{log: opts.Log, now: opts.Now, path: path}
	var err error
	if s.w, err = sql.Open("sqlite", dsn(path, opts.BusyTimeout, false)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.migrate(ctx); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if s.r, err = sql.Open("sqlite", dsn(path, opts.BusyTimeout, true)); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(opts.MaxReaders)
	s.r.SetMaxIdleConns(opts.MaxReaders)
	if s.byHash, err = s.r.PrepareContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// createFile creates the database file with mode 0600 if it does not exist;
// SQLite gives its -wal and -shm files the same mode.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// walCheckpointPages is how many WAL pages a commit may leave before it
// checkpoints them (SQLite's default is 1,000). A checkpoint copies those
// pages into the database in the committing goroutine, without a point
// where the Go scheduler may run another: with last_used_at writes of
// many distinct tokens (each dirtying its own page) a 1,000-page
// checkpoint held a one-core server's requests for ~12 ms; 100 pages
// bound that to ~2 ms (benchmarks/README.md, issue 16).
const walCheckpointPages = 100

// dsn builds the driver DSN: WAL, synchronous=FULL, foreign keys, a busy
// timeout and BEGIN IMMEDIATE for every transaction (writer), or query_only
// (readers). The writer checkpoints the WAL every walCheckpointPages pages.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapErr(err))
	}
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	if s.byHash != nil {
		_ = s.byHash.Close()
	}
	errR := s.r.Close()
	errW := s.w.Close()
	if err := errors.Join(errR, errW); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// migrate applies every embedded migration not yet recorded in
// schema_migrations, each in its own write transaction.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies one migration file unless already recorded. The
// check and the change share one BEGIN IMMEDIATE transaction, so two
// processes opening a new file at once apply it once.
func (s *Store) applyMigration(ctx context.Context, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version TEXT NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			version, fmtTime(s.now())); err != nil {
			return fmt.Errorf("migrate %s: %w", version, err)
		}
		s.log.Info().Str("store", "sqlite").Str("migration", version).Msg("applied migration")
		return nil
	})
}

// write runs fn in one write transaction (BEGIN IMMEDIATE on the single
// writer connection) and commits it, or rolls back if fn fails.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// mapErr maps driver errors to the store sentinels, keeping the original:
// constraint violations on a key are ErrConflict, a locked or unreadable
// database is ErrUnavailable.
func mapErr(err error) error {
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var se *sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	switch se.Code() & 0xff {
	case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED, sqlite3lib.SQLITE_CANTOPEN,
		sqlite3lib.SQLITE_IOERR, sqlite3lib.SQLITE_FULL:
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// fmtTime renders t in the stored layout.
func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// fmtTimePtr renders an optional time (nil stays NULL).
func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

// parseTime parses a stored time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// parseTimePtr parses an optional stored time.
func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Pragmas reports the journal mode and synchronous level of the writer
// connection (for tests and leakguard's diagnostics).
func (s *Store) Pragmas(ctx context.Context) (journalMode string, synchronous int, err error) {
	if err = s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journalMode); err != nil {
		return "", 0, fmt.Errorf("sqlite: pragmas: %w", err)
	}
	if err = s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&synchronous); err != nil {
		return "", 0, fmt.Errorf("sqlite: pragmas: %w", err)
	}
	return journalMode, synchronous, nil
}
