package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/store"
)

// insertNotification enqueues n (if not nil) inside a write transaction.
// CreatedAt and NextAttemptAt default to at.
func insertNotification(ctx context.Context, tx *sql.Tx, n *store.Notification, at time.Time) error {
	if n == nil {
		return nil
	}
	created, next, err := n.Schedule(at)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (id, type, payload, created_at, attempts, next_attempt_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.ID, n.Type, n.Payload, fmtTime(created), n.Attempts, fmtTime(next), n.LastError)
	if err != nil {
		return fmt.Errorf("enqueue notification %s: %w", n.ID, err)
	}
	return nil
}

// ClaimNotifications returns up to limit entries due at now, oldest due
// first, and moves their NextAttemptAt to now+lease so that no other
// claimer sees them until the lease runs out.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Notification, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim notifications: %w: limit and lease must be positive", store.ErrInvalid)
	}
	until := fmtTime(now.Add(lease))
	var out []store.Notification
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, type, payload, created_at, attempts, last_error
			FROM outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, fmtTime(now), limit)
		if err != nil {
			return err
		}
		if out, err = scanNotifications(rows); err != nil {
			return err
		}
		for i := range out {
			out[i].NextAttemptAt = now.Add(lease).UTC()
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE id = ?`,
				until, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
	}
	return out, nil
}

// scanNotifications reads claimed rows and closes rows.
func scanNotifications(rows *sql.Rows) ([]store.Notification, error) {
	defer rows.Close()
	var out []store.Notification
	for rows.Next() {
		var n store.Notification
		var created string
		if err := rows.Scan(&n.ID, &n.Type, &n.Payload, &created, &n.Attempts, &n.LastError); err != nil {
			return nil, err
		}
		var err error
		if n.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkDelivered removes a notification from the outbox (ErrNotFound if it
// is not there, e.g. delivered already by another worker).
func (s *Store) MarkDelivered(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: mark delivered %s: %w", id, mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite: mark delivered %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// MarkFailed counts a failed attempt, keeps errMsg (truncated) and schedules
// the next attempt at next. ErrNotFound if the notification is not there.
func (s *Store) MarkFailed(ctx context.Context, id string, next time.Time, errMsg string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
		WHERE id = ?`, fmtTime(next), store.TruncateError(errMsg), id)
	if err != nil {
		return fmt.Errorf("sqlite: mark failed %s: %w", id, mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite: mark failed %s: %w", id, store.ErrNotFound)
	}
	return nil
}
