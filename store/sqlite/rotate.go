package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/leakguard/leakguard/store"
)

// RotateToken replaces req.OldID by req.Successor in one write
// transaction (SQLite serialises writers, so concurrent rotations of one
// token see each other's link and all but the first get ErrConflict). An
// active old token's change goes to the revocation log.
func (s *Store) RotateToken(ctx context.Context, req store.RotateRequest) (*store.Token, error) {
	issued, err := req.Prepare(s.now)
	if err != nil {
		return nil, fmt.Errorf("sqlite: rotate %s: %w", req.OldID, err)
	}
	var out *store.Token
	err = s.write(ctx, func(tx *sql.Tx) error {
		old, err := getToken(ctx, tx, "id = ?", req.OldID)
		if err != nil {
			return err
		}
		t, evs, err := req.Retire(old)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET replaced_by = ?, expires_at = ?, valid = ?,
			invalid_at = ?, invalid_reason = ?, revoked_by = ? WHERE id = ? AND replaced_by IS NULL AND valid = ?`,
			t.ReplacedBy, fmtTimePtr(t.ExpiresAt), boolInt(t.Valid), fmtTimePtr(t.InvalidAt), t.InvalidReason,
			t.RevokedBy, t.ID, boolInt(old.Valid))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: token %s changed during rotation", store.ErrConflict, t.ID)
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
		if err := appendRevocation(ctx, tx, t.Hash, req.At); err != nil {
			return err
		}
		if t.Valid {
			return nil
		}
		return insertNotification(ctx, tx, req.Notify, req.At)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: rotate %s: %w", req.OldID, err)
	}
	return out, nil
}
