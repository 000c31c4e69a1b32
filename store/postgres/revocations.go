package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakguard/leakguard/store"
)

var _ store.RevocationFeed = (*Store)(nil)

// appendRevocation adds hash to the revocation log. It must be the last
// statement of its transaction: it takes revocation_counter's row lock,
// held until commit, so that concurrent revocations commit in seq order
// and hold the lock no longer than their commit.
func appendRevocation(ctx context.Context, tx pgx.Tx, hash string, at time.Time) error {
	_, err := tx.Exec(ctx, `WITH c AS (UPDATE revocation_counter SET seq = seq + 1 RETURNING seq)
		INSERT INTO revocations (seq, hash, at) SELECT seq, $1, $2 FROM c`, hash, at)
	return err
}

// RevocationHead returns the newest revocation log entry's seq (0 if none).
func (s *Store) RevocationHead(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM revocations`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("postgres: revocation head: %w", mapErr(err))
	}
	return seq, nil
}

// Revocations returns the revocation log entries q selects, oldest first.
func (s *Store) Revocations(ctx context.Context, q store.RevocationQuery) ([]store.Revocation, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("postgres: revocations: %w: limit must be positive", store.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, hash, at FROM revocations WHERE seq > $1 AND at >= $2
		ORDER BY seq LIMIT $3`, q.After, q.Since, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: revocations: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Revocation, error) {
		var v store.Revocation
		err := r.Scan(&v.Seq, &v.Hash, &v.At)
		v.At = v.At.UTC()
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: revocations: %w", mapErr(err))
	}
	return out, nil
}
