package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakguard/leakguard/store"
)

// insertNotification enqueues n (if not nil) inside a transaction.
// CreatedAt and NextAttemptAt default to at.
func insertNotification(ctx context.Context, tx pgx.Tx, n *store.Notification, at time.Time) error {
	if n == nil {
		return nil
	}
	created, next, err := n.Schedule(at)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox (id, type, payload, created_at, attempts, next_attempt_at, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, n.ID, n.Type, n.Payload, created, n.Attempts, next, n.LastError)
	if err != nil {
		return fmt.Errorf("enqueue notification %s: %w", n.ID, err)
	}
	return nil
}

// ClaimNotifications returns up to limit entries due at now, oldest due
// first, and moves their NextAttemptAt to now+lease. Rows another claimer
// holds are skipped (FOR UPDATE SKIP LOCKED), so concurrent deliverers, in
// this process or others, never take the same entry within its lease.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Notification, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("postgres: claim notifications: %w: limit and lease must be positive", store.ErrInvalid)
	}
	type claimed struct {
		n   store.Notification
		due time.Time
	}
	var got []claimed
	err := s.write(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH due AS (
				SELECT id, next_attempt_at AS due_at FROM outbox WHERE next_attempt_at <= $1
				ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
			UPDATE outbox o SET next_attempt_at = $2 FROM due WHERE o.id = due.id
			RETURNING o.id, o.type, o.payload, o.created_at, o.attempts, o.next_attempt_at, o.last_error, due.due_at`,
			now, now.Add(lease), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.n.ID, &c.n.Type, &c.n.Payload, &c.n.CreatedAt, &c.n.Attempts,
				&c.n.NextAttemptAt, &c.n.LastError, &c.due); err != nil {
				return err
			}
			c.n.CreatedAt, c.n.NextAttemptAt = c.n.CreatedAt.UTC(), c.n.NextAttemptAt.UTC()
			got = append(got, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim notifications: %w", err)
	}
	sort.Slice(got, func(i, j int) bool {
		if !got[i].due.Equal(got[j].due) {
			return got[i].due.Before(got[j].due)
		}
		return got[i].n.ID < got[j].n.ID
	})
	out := make([]store.Notification, len(got))
	for i, c := range got {
		out[i] = c.n
	}
	return out, nil
}

// MarkDelivered removes a notification from the outbox (ErrNotFound if it
// is not there, e.g. delivered already by another worker).
func (s *Store) MarkDelivered(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: mark delivered %s: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: mark delivered %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// MarkFailed counts a failed attempt, keeps errMsg (truncated) and schedules
// the next attempt at next. ErrNotFound if the notification is not there.
func (s *Store) MarkFailed(ctx context.Context, id string, next time.Time, errMsg string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1,
		last_error = $2 WHERE id = $3`, next, store.TruncateError(errMsg), id)
	if err != nil {
		return fmt.Errorf("postgres: mark failed %s: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: mark failed %s: %w", id, store.ErrNotFound)
	}
	return nil
}
