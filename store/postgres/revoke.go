package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakguard/leakguard/store"
)

// Revoke invalidates the token named by req.ID or req.Hash (both must match
// when both are given) in one transaction: a conditional UPDATE ... WHERE
// valid, then its event, req.Notify and the revocation log entry. A
// concurrent revocation of the same row waits for the first to commit and
// then reports already = true; an already invalid token is returned
// unchanged and nothing is written.
func (s *Store) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	label := req.Label()
	if err := req.Prepare(s.now); err != nil {
		return nil, false, fmt.Errorf("postgres: revoke %s: %w", label, err)
	}
	var (
		tok     *store.Token
		already bool
	)
	where, args := revokeWhere(req)
	err := s.write(ctx, func(tx pgx.Tx) error {
		upd := append([]any{req.At, req.Reason, req.Actor}, args...)
		t, err := scanToken(tx.QueryRow(ctx, `UPDATE tokens
			SET valid = false, invalid_at = $1, invalid_reason = $2, revoked_by = $3
			WHERE `+where(4)+` AND valid RETURNING `+tokenCols, upd...))
		if errors.Is(err, pgx.ErrNoRows) {
			tok, err = getToken(ctx, tx, where(1), args...)
			already = err == nil
			return err
		}
		if err != nil {
			return err
		}
		tok = t
		if err := insertEvent(ctx, tx, req.Event(t.ID)); err != nil {
			return err
		}
		if err := insertNotification(ctx, tx, req.Notify, req.At); err != nil {
			return err
		}
		return appendRevocation(ctx, tx, t.Hash, req.At) // last: see appendRevocation
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: revoke %s: %w", label, err)
	}
	return tok, already, nil
}

// revokeWhere selects the token of a revoke request; the condition's
// placeholders are numbered from first.
func revokeWhere(req store.RevokeRequest) (func(first int) string, []any) {
	switch {
	case req.ID != "" && req.Hash != "":
		return func(n int) string { return fmt.Sprintf("id = $%d AND hash = $%d", n, n+1) },
			[]any{req.ID, req.Hash}
	case req.ID != "":
		return func(n int) string { return fmt.Sprintf("id = $%d", n) }, []any{req.ID}
	}
	return func(n int) string { return fmt.Sprintf("hash = $%d", n) }, []any{req.Hash}
}

// ExpireDue marks every valid token with ExpiresAt <= now as expired
// (InvalidAt = ExpiresAt) with an expired event by actor "sweeper", and
// returns them ordered by ID. Row locks make concurrent sweepers in several
// processes expire each token once.
func (s *Store) ExpireDue(ctx context.Context, now time.Time) ([]*store.Token, error) {
	var out []*store.Token
	err := s.write(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE tokens
			SET valid = false, invalid_at = expires_at, invalid_reason = $1
			WHERE valid AND expires_at IS NOT NULL AND expires_at <= $2
			RETURNING `+tokenCols, store.ReasonExpired, now)
		if err != nil {
			return err
		}
		if out, err = scanTokens(rows); err != nil {
			return err
		}
		for _, t := range out {
			ev := store.Event{TokenID: t.ID, Kind: store.EventExpired, At: *t.ExpiresAt, Actor: "sweeper"}
			if err := insertEvent(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: expire due: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ExpiringBefore returns valid tokens with now < ExpiresAt <= deadline and
// no notice recorded for stage, soonest first.
func (s *Store) ExpiringBefore(ctx context.Context, now, deadline time.Time, stage string) ([]*store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM tokens t
		WHERE valid AND expires_at > $1 AND expires_at <= $2
		AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.token_id = t.id AND n.stage = $3)
		ORDER BY expires_at, id`, now, deadline, stage)
	if err != nil {
		return nil, fmt.Errorf("postgres: expiring before: %w", mapErr(err))
	}
	out, err := scanTokens(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: expiring before: %w", mapErr(err))
	}
	return out, nil
}

// RecordNotice records a stage's notice with its event (kind defaults to
// EventExpiringNotice, At to the store's clock) and notification, once per
// token and stage, also across processes (the notices primary key).
func (s *Store) RecordNotice(ctx context.Context, req store.NoticeRequest) (bool, error) {
	if err := req.Validate(); err != nil {
		return false, fmt.Errorf("postgres: record notice: %w", err)
	}
	ev := req.Event
	ev.TokenID = req.TokenID
	if ev.Kind == "" {
		ev.Kind = store.EventExpiringNotice
	}
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	recorded := false
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := getToken(ctx, tx, "id = $1", req.TokenID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO notices (token_id, stage, at) VALUES ($1, $2, $3)
			ON CONFLICT (token_id, stage) DO NOTHING`, req.TokenID, req.Stage, ev.At)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		recorded = true
		if err := insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		return insertNotification(ctx, tx, req.Notify, ev.At)
	})
	if err != nil {
		return false, fmt.Errorf("postgres: record notice %s %s: %w", req.TokenID, req.Stage, err)
	}
	return recorded, nil
}
