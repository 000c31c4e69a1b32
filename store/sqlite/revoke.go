package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/leakguard/leakguard/store"
)

// Revoke invalidates the token named by req.ID or req.Hash (both must match
// when both are given) in one write transaction: a conditional update on
// valid = 1, then its event, req.Notify and the revocation log entry. A
// token that is already invalid is returned unchanged with already = true
// and nothing is written.
func (s *Store) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	label := req.Label()
	if err := req.Prepare(s.now); err != nil {
		return nil, false, fmt.Errorf("sqlite: revoke %s: %w", label, err)
	}
	where, args := revokeWhere(req)
	var (
		tok     *store.Token
		already bool
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		upd := append([]any{fmtTime(req.At), req.Reason, req.Actor}, args...)
		t, err := scanToken(tx.QueryRowContext(ctx, `UPDATE tokens
			SET valid = 0, invalid_at = ?, invalid_reason = ?, revoked_by = ?
			WHERE `+where+` AND valid = 1 RETURNING `+tokenCols, upd...))
		if errors.Is(err, sql.ErrNoRows) {
			tok, err = getToken(ctx, tx, where, args...)
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
		return appendRevocation(ctx, tx, t.Hash, req.At)
	})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: revoke %s: %w", label, err)
	}
	return tok, already, nil
}

// revokeWhere selects the token of a revoke request.
func revokeWhere(req store.RevokeRequest) (string, []any) {
	switch {
	case req.ID != "" && req.Hash != "":
		return "id = ? AND hash = ?", []any{req.ID, req.Hash}
	case req.ID != "":
		return "id = ?", []any{req.ID}
	}
	return "hash = ?", []any{req.Hash}
}

// ExpireDue marks every valid token with ExpiresAt <= now as expired
// (InvalidAt = ExpiresAt) with an expired event by actor "sweeper", and
// returns them ordered by ID.
func (s *Store) ExpireDue(ctx context.Context, now time.Time) ([]*store.Token, error) {
	var out []*store.Token
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE tokens
			SET valid = 0, invalid_at = expires_at, invalid_reason = ?
			WHERE valid = 1 AND expires_at IS NOT NULL AND expires_at <= ?
			RETURNING `+tokenCols, store.ReasonExpired, fmtTime(now))
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
		return nil, fmt.Errorf("sqlite: expire due: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ExpiringBefore returns valid tokens with now < ExpiresAt <= deadline and
// no notice recorded for stage, soonest first.
func (s *Store) ExpiringBefore(ctx context.Context, now, deadline time.Time, stage string) ([]*store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens t
		WHERE valid = 1 AND expires_at > ? AND expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.token_id = t.id AND n.stage = ?)
		ORDER BY expires_at, id`, fmtTime(now), fmtTime(deadline), stage)
	if err != nil {
		return nil, fmt.Errorf("sqlite: expiring before: %w", mapErr(err))
	}
	out, err := scanTokens(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: expiring before: %w", mapErr(err))
	}
	return out, nil
}

// RecordNotice records a stage's notice with its event (kind defaults to
// EventExpiringNotice, At to the store's clock) and notification, once per
// token and stage.
func (s *Store) RecordNotice(ctx context.Context, req store.NoticeRequest) (bool, error) {
	if err := req.Validate(); err != nil {
		return false, fmt.Errorf("sqlite: record notice: %w", err)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := getToken(ctx, tx, "id = ?", req.TokenID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (token_id, stage, at) VALUES (?, ?, ?)
			ON CONFLICT (token_id, stage) DO NOTHING`, req.TokenID, req.Stage, fmtTime(ev.At))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		recorded = true
		if err := insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		return insertNotification(ctx, tx, req.Notify, ev.At)
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: record notice %s %s: %w", req.TokenID, req.Stage, err)
	}
	return recorded, nil
}
