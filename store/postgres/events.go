package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakguard/leakguard/store"
)

// insertEvent appends ev inside a transaction.
func insertEvent(ctx context.Context, tx pgx.Tx, ev store.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO events (token_id, kind, at, actor, source, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, ev.TokenID, string(ev.Kind), ev.At, ev.Actor, ev.Source, ev.Detail)
	if err != nil {
		return fmt.Errorf("insert %s event: %w", ev.Kind, err)
	}
	return nil
}

// AppendEvent adds ev to its token's audit trail; At defaults to the
// store's clock. ErrNotFound if the token does not exist.
func (s *Store) AppendEvent(ctx context.Context, ev store.Event) error {
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("postgres: append event: %w", err)
	}
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := getToken(ctx, tx, "id = $1", ev.TokenID); err != nil {
			return err
		}
		return insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("postgres: append event %s: %w", ev.TokenID, err)
	}
	return nil
}

// Events returns a token's audit trail ordered by time, then insertion.
// ErrNotFound if the token does not exist.
func (s *Store) Events(ctx context.Context, tokenID string) ([]store.Event, error) {
	evs, err := s.events(ctx, tokenID)
	if err != nil {
		return nil, fmt.Errorf("postgres: events %s: %w", tokenID, err)
	}
	return evs, nil
}

func (s *Store) events(ctx context.Context, tokenID string) ([]store.Event, error) {
	if _, err := getToken(ctx, s.pool, "id = $1", tokenID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, token_id, kind, at, actor, source, detail
		FROM events WHERE token_id = $1 ORDER BY at, id`, tokenID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var ev store.Event
		var kind string
		if err := rows.Scan(&ev.ID, &ev.TokenID, &kind, &ev.At, &ev.Actor, &ev.Source, &ev.Detail); err != nil {
			return nil, mapErr(err)
		}
		ev.Kind, ev.At = store.EventKind(kind), ev.At.UTC()
		out = append(out, ev)
	}
	return out, mapErr(rows.Err())
}
