package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/store"
)

var _ store.RevocationFeed = (*Store)(nil)

// appendRevocation adds hash to the revocation log inside a write
// transaction. Writers are serialised (one writer connection, BEGIN
// IMMEDIATE, across processes too), so AUTOINCREMENT numbers grow in
// commit order.
func appendRevocation(ctx context.Context, tx *sql.Tx, hash string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO revocations (hash, at) VALUES (?, ?)`, hash, fmtTime(at))
	return err
}

// RevocationHead returns the newest revocation log entry's seq (0 if none).
func (s *Store) RevocationHead(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM revocations`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("sqlite: revocation head: %w", mapErr(err))
	}
	return seq, nil
}

// Revocations returns the revocation log entries q selects, oldest first.
func (s *Store) Revocations(ctx context.Context, q store.RevocationQuery) ([]store.Revocation, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("sqlite: revocations: %w: limit must be positive", store.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, hash, at FROM revocations WHERE seq > ? AND at >= ?
		ORDER BY seq LIMIT ?`, q.After, fmtTime(q.Since), q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: revocations: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.Revocation
	for rows.Next() {
		var r store.Revocation
		var at string
		if err := rows.Scan(&r.Seq, &r.Hash, &at); err != nil {
			return nil, fmt.Errorf("sqlite: revocations: %w", mapErr(err))
		}
		if r.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: revocations: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: revocations: %w", mapErr(err))
	}
	return out, nil
}
