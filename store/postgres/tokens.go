package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// tokenCols is the column list scanToken reads, in order.
const tokenCols = `id, hash, type, format_id, owner, name, last4, created_at, expires_at,
	last_used_at, valid, invalid_at, invalid_reason, revoked_by, scopes, replaces, replaced_by`

// querier is what the pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanToken reads one row of tokenCols.
func scanToken(r pgx.Row) (*store.Token, error) {
	var t store.Token
	var replaces, replacedBy *string
	if err := r.Scan(&t.ID, &t.Hash, &t.Type, &t.FormatID, &t.Owner, &t.Name, &t.Last4, &t.CreatedAt,
		&t.ExpiresAt, &t.LastUsedAt, &t.Valid, &t.InvalidAt, &t.InvalidReason, &t.RevokedBy, &t.Scopes,
		&replaces, &replacedBy); err != nil {
		return nil, err
	}
	if replaces != nil {
		t.Replaces = *replaces
	}
	if replacedBy != nil {
		t.ReplacedBy = *replacedBy
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.InvalidAt = utc(t.ExpiresAt), utc(t.LastUsedAt), utc(t.InvalidAt)
	return &t, nil
}

// scanTokens reads every row and closes rows.
func scanTokens(rows pgx.Rows) ([]*store.Token, error) {
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
		return fmt.Errorf("postgres: create token: %w", err)
	}
	err = s.write(ctx, func(tx pgx.Tx) error { return insertToken(ctx, tx, t, ev) })
	if err != nil {
		return fmt.Errorf("postgres: create token %s: %w", t.ID, err)
	}
	return nil
}

// insertToken inserts t and its issued event ev.
func insertToken(ctx context.Context, tx pgx.Tx, t *store.Token, ev store.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		t.ID, t.Hash, t.Type, t.FormatID, t.Owner, t.Name, t.Last4, t.CreatedAt,
		t.ExpiresAt, t.LastUsedAt, t.Valid, t.InvalidAt, t.InvalidReason, t.RevokedBy, pgScopes(t.Scopes),
		nullString(t.Replaces), nullString(t.ReplacedBy))
	if err != nil {
		return err
	}
	return insertEvent(ctx, tx, ev)
}

// nullString is NULL for "", else &s.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pgScopes is the scopes column's value: never NULL, '{}' for none.
func pgScopes(scopes []string) []string {
	if scopes == nil {
		return []string{}
	}
	return scopes
}

// TokenByHash returns the token with that hash, or ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	t, err := getToken(ctx, s.pool, "hash = $1", hash)
	if err != nil {
		return nil, fmt.Errorf("postgres: token by hash %.12s: %w", hash, err)
	}
	return t, nil
}

// TokenByID returns the token with that id, or ErrNotFound.
func (s *Store) TokenByID(ctx context.Context, id string) (*store.Token, error) {
	t, err := getToken(ctx, s.pool, "id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("postgres: token %s: %w", id, err)
	}
	return t, nil
}

// getToken loads one token matching where.
func getToken(ctx context.Context, q querier, where string, args ...any) (*store.Token, error) {
	t, err := scanToken(q.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return t, nil
}

// listQuery builds ListTokens' query for a validated filter.
func listQuery(f store.ListFilter, now time.Time) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Owner != "" {
		where = append(where, "owner = "+arg(f.Owner))
	}
	if f.After != "" {
		where = append(where, "id > "+arg(f.After))
	}
	if f.Scope != "" {
		where = append(where, "scopes @> ARRAY["+arg(f.Scope)+"::text]")
	}
	switch f.State {
	case leakguard.StateActive:
		where = append(where, "valid AND (expires_at IS NULL OR expires_at > "+arg(now)+")")
	case leakguard.StateRevoked:
		where = append(where, "NOT valid AND invalid_reason <> "+arg(store.ReasonExpired))
	case leakguard.StateExpired:
		where = append(where, "((NOT valid AND invalid_reason = "+arg(store.ReasonExpired)+
			") OR (valid AND expires_at <= "+arg(now)+"))")
	}
	q := `SELECT ` + tokenCols + ` FROM tokens`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return q, args
}

// ListTokens returns tokens matching f ordered by ID.
func (s *Store) ListTokens(ctx context.Context, f store.ListFilter) ([]*store.Token, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	now := f.Now
	if now.IsZero() {
		now = s.now()
	}
	q, args := listQuery(f, now)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", mapErr(err))
	}
	out, err := scanTokens(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", mapErr(err))
	}
	return out, nil
}

// TouchLastUsed sets LastUsedAt to at if it is unset or older; it never
// moves it backwards. ErrNotFound for an unknown id.
func (s *Store) TouchLastUsed(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, at, id)
	if err != nil {
		return fmt.Errorf("postgres: touch %s: %w", id, mapErr(err))
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := getToken(ctx, s.pool, "id = $1", id); err != nil {
		return fmt.Errorf("postgres: touch %s: %w", id, err)
	}
	return nil
}

var _ store.BatchToucher = (*Store)(nil)

// TouchLastUsedMany is TouchLastUsed for each touch, in one statement;
// unknown ids are skipped.
func (s *Store) TouchLastUsedMany(ctx context.Context, ts []store.Touch) error {
	if len(ts) == 0 {
		return nil
	}
	latest := make(map[string]time.Time, len(ts))
	for _, t := range ts {
		if cur, ok := latest[t.ID]; !ok || t.At.After(cur) {
			latest[t.ID] = t.At
		}
	}
	ids, ats := make([]string, 0, len(latest)), make([]time.Time, 0, len(latest))
	for id, at := range latest {
		ids, ats = append(ids, id), append(ats, at)
	}
	_, err := s.pool.Exec(ctx, `UPDATE tokens t SET last_used_at = v.at
		FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at)
		WHERE t.id = v.id AND (t.last_used_at IS NULL OR t.last_used_at < v.at)`, ids, ats)
	if err != nil {
		return fmt.Errorf("postgres: touch %d tokens: %w", len(ts), mapErr(err))
	}
	return nil
}
