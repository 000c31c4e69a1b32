package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// tokenCols is the column list scanToken reads, in order.
const tokenCols = `id, hash, type, format_id, owner, name, last4, created_at, expires_at,
	last_used_at, valid, invalid_at, invalid_reason, revoked_by, scopes, replaces, replaced_by`

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

// scanToken reads one row of tokenCols.
func scanToken(r rowScanner) (*store.Token, error) {
	var (
		t                          store.Token
		created, scopes            string
		expires, lastUsed, invalAt sql.NullString
		replaces, replacedBy       sql.NullString
		valid                      int64
	)
	if err := r.Scan(&t.ID, &t.Hash, &t.Type, &t.FormatID, &t.Owner, &t.Name, &t.Last4, &created,
		&expires, &lastUsed, &valid, &invalAt, &t.InvalidReason, &t.RevokedBy, &scopes,
		&replaces, &replacedBy); err != nil {
		return nil, err
	}
	t.Replaces, t.ReplacedBy = replaces.String, replacedBy.String
	var err error
	if t.Scopes, err = decodeScopes(scopes); err != nil {
		return nil, err
	}
	t.Valid = valid == 1
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if t.ExpiresAt, err = parseTimePtr(expires); err != nil {
		return nil, err
	}
	if t.LastUsedAt, err = parseTimePtr(lastUsed); err != nil {
		return nil, err
	}
	if t.InvalidAt, err = parseTimePtr(invalAt); err != nil {
		return nil, err
	}
	return &t, nil
}

// scanTokens reads every row and closes rows.
func scanTokens(rows *sql.Rows) ([]*store.Token, error) {
	defer rows.Close()
	var out []*store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateToken inserts t and its issued event ev in one transaction.
// CreatedAt and ev.At default to the store's clock, ev.Kind to EventIssued.
func (s *Store) CreateToken(ctx context.Context, t *store.Token, ev store.Event) error {
	ev, err := store.PrepareCreate(t, ev, s.now)
	if err != nil {
		return fmt.Errorf("sqlite: create token: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error { return insertToken(ctx, tx, t, ev) })
	if err != nil {
		return fmt.Errorf("sqlite: create token %s: %w", t.ID, err)
	}
	return nil
}

// insertToken inserts t and its issued event ev.
func insertToken(ctx context.Context, tx *sql.Tx, t *store.Token, ev store.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, t.Type, t.FormatID, t.Owner, t.Name, t.Last4, fmtTime(t.CreatedAt),
		fmtTimePtr(t.ExpiresAt), fmtTimePtr(t.LastUsedAt), boolInt(t.Valid), fmtTimePtr(t.InvalidAt),
		t.InvalidReason, t.RevokedBy, encodeScopes(t.Scopes), nullString(t.Replaces), nullString(t.ReplacedBy))
	if err != nil {
		return err
	}
	return insertEvent(ctx, tx, ev)
}

// nullString is NULL for "", else s.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// encodeScopes is how the scopes column holds scopes: a JSON array,
// "[]" for none.
func encodeScopes(scopes []string) string {
	if len(scopes) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(scopes) // a []string cannot fail to encode
	return string(b)
}

// decodeScopes reads the scopes column; none gives nil.
func decodeScopes(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("bad stored scopes: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// boolInt is SQLite's boolean.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TokenByHash returns the token with that hash, or ErrNotFound. It is the
// verify path's look-up, so it uses a prepared statement.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	t, err := scanToken(s.byHash.QueryRowContext(ctx, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("sqlite: token by hash %.12s: %w", hash, store.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("sqlite: token by hash %.12s: %w", hash, mapErr(err))
	}
	return t, nil
}

// TokenByID returns the token with that id, or ErrNotFound.
func (s *Store) TokenByID(ctx context.Context, id string) (*store.Token, error) {
	t, err := getToken(ctx, s.r, "id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: token %s: %w", id, err)
	}
	return t, nil
}

// getToken loads one token matching where.
func getToken(ctx context.Context, q querier, where string, args ...any) (*store.Token, error) {
	t, err := scanToken(q.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return t, nil
}

// ListTokens returns tokens matching f ordered by ID.
func (s *Store) ListTokens(ctx context.Context, f store.ListFilter) ([]*store.Token, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	now := f.Now
	if now.IsZero() {
		now = s.now()
	}
	var where []string
	var args []any
	if f.Owner != "" {
		where, args = append(where, "owner = ?"), append(args, f.Owner)
	}
	if f.After != "" {
		where, args = append(where, "id > ?"), append(args, f.After)
	}
	if f.Scope != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(tokens.scopes) WHERE json_each.value = ?)")
		args = append(args, f.Scope)
	}
	switch f.State {
	case leakguard.StateActive:
		where = append(where, "valid = 1 AND (expires_at IS NULL OR expires_at > ?)")
		args = append(args, fmtTime(now))
	case leakguard.StateRevoked:
		where = append(where, "valid = 0 AND invalid_reason <> ?")
		args = append(args, store.ReasonExpired)
	case leakguard.StateExpired:
		where = append(where, "((valid = 0 AND invalid_reason = ?) OR (valid = 1 AND expires_at <= ?))")
		args = append(args, store.ReasonExpired, fmtTime(now))
	}
	q := `SELECT ` + tokenCols + ` FROM tokens`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", mapErr(err))
	}
	out, err := scanTokens(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", mapErr(err))
	}
	return out, nil
}

// TouchLastUsed sets LastUsedAt to at if it is unset or older; it never
// moves it backwards. ErrNotFound for an unknown id.
func (s *Store) TouchLastUsed(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, fmtTime(at), id, fmtTime(at))
	if err != nil {
		return fmt.Errorf("sqlite: touch %s: %w", id, mapErr(err))
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	if _, err := getToken(ctx, s.r, "id = ?", id); err != nil {
		return fmt.Errorf("sqlite: touch %s: %w", id, err)
	}
	return nil
}

var _ store.BatchToucher = (*Store)(nil)

// TouchLastUsedMany is TouchLastUsed for each touch, in one write
// transaction; unknown ids are skipped. That transaction alone commits
// with synchronous=NORMAL: last-use times are best effort, so it skips
// the fsync every other commit makes (WAL mode keeps the database
// consistent either way, and the next durable commit syncs it too), which
// is most of its cost when many distinct tokens are verified.
func (s *Store) TouchLastUsedMany(ctx context.Context, ts []store.Touch) error {
	if len(ts) == 0 {
		return nil
	}
	if err := s.touchMany(ctx, ts); err != nil {
		return fmt.Errorf("sqlite: touch %d tokens: %w", len(ts), mapErr(err))
	}
	return nil
}

// touchMany runs TouchLastUsedMany's transaction on the writer connection
// with synchronous=NORMAL, and restores FULL after it; a connection whose
// setting cannot be restored is discarded (database/sql opens a new one,
// with FULL from the DSN), so no other commit ever skips its fsync.
func (s *Store) touchMany(ctx context.Context, ts []store.Touch) (err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() {
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL")
		if rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, rerr)
		}
		_ = conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `UPDATE tokens SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`)
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	defer st.Close()
	for _, t := range ts {
		if _, err := st.ExecContext(ctx, fmtTime(t.At), t.ID, fmtTime(t.At)); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
