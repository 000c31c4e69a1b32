package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakguard/leakguard/store"
)

// RotateToken replaces req.OldID by req.Successor in one transaction. The
// old row is locked first (SELECT ... FOR UPDATE), so a concurrent
// rotation of the same token waits, then finds it rotated: ErrConflict.
// An active old token's change goes to the revocation log.
func (s *Store) RotateToken(ctx context.Context, req store.RotateRequest) (*store.Token, error) {
	issued, err := req.Prepare(s.now)
	if err != nil {
		return nil, fmt.Errorf("postgres: rotate %s: %w", req.OldID, err)
	}
	var out *store.Token
	err = s.write(ctx, func(tx pgx.Tx) error {
		old, err := getToken(ctx, tx, "id = $1 FOR UPDATE", req.OldID)
		if err != nil {
			return err
		}
		t, evs, err := req.Retire(old)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET replaced_by = $1, expires_at = $2, valid = $3,
			invalid_at = $4, invalid_reason = $5, revoked_by = $6 WHERE id = $7`,
			t.ReplacedBy, t.ExpiresAt, t.Valid, t.InvalidAt, t.InvalidReason, t.RevokedBy, t.ID); err != nil {
			return err
		}
		if err := insertToken(ctx, tx, req.Successor, issued); err != nil {
			return err
		}
		for _, ev := range evs {
			if err := insertEvent(ctx, tx, ev); err != nil {
				return err
			}
		}
		out = t
		if !req.Retired(old) {
			return nil
		}
		if !t.Valid {
			if err := insertNotification(ctx, tx, req.Notify, req.At); err != nil {
				return err
			}
		}
		return appendRevocation(ctx, tx, t.Hash, req.At) // last: see appendRevocation
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: rotate %s: %w", req.OldID, err)
	}
	return out, nil
}
