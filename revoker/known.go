package revoker

import (
	"context"
	"fmt"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// RevokeToken is the one step "revoke this known token" of every path: the
// leak reports of Revoker and the explicit revocations of
// lifecycle.Manager.Revoke. t is the token as just looked up; req carries
// the reason, actor, source, event kind, time (At) and DeferSettle, and
// RevokeToken fills in the id and the token.revoked notification (with
// the rotate hint when the revocation is for a leak).
//
// A token that is no longer active is not revoked again: already is true
// and, on most stores, no call is made. On a store.Settler (the Redis near
// cache) a token that is already marked invalid still goes through Revoke:
// it writes nothing there, but waits out (or, with DeferSettle, defers)
// the near caches' leases, which another process's revocation of a moment
// ago may not have done yet. A token merely past its expiry is never
// revoked. Errors are the store's, unwrapped.
func RevokeToken(ctx context.Context, st Store, t *store.Token, req store.RevokeRequest) (after *store.Token, already bool, err error) {
	_, settler := st.(store.Settler)
	if t.State(req.At) != leakguard.StateActive && (t.Valid || !settler) {
		return t, true, nil
	}
	req.ID, req.Hash = t.ID, ""
	req.Notify, err = store.NewRevokedNotification(t, req)
	if err != nil {
		return nil, false, err
	}
	return st.Revoke(ctx, req)
}

// revokeKnown revokes a token found in the store, unless it is already
// invalid (see RevokeToken).
func (r *Revoker) revokeKnown(ctx context.Context, rep Report, t *store.Token, res Result, deferSettle bool) (Result, error) {
	res.Ours, res.Token = true, t
	now := r.now().UTC().Truncate(time.Microsecond) // what stores keep
	// Any token quoted in the location (not only the reported one) is
	// redacted before the reason is stored, sent or logged.
	reason := r.cat.RedactTokens(Reason(rep))
	actor := rep.Actor
	if actor == "" {
		actor = DefaultActor
	}
	after, already, err := RevokeToken(ctx, r.st, t, store.RevokeRequest{
		Reason: reason, Actor: actor, Source: string(rep.Source),
		Kind: store.EventLeakReported, At: now, DeferSettle: deferSettle,
	})
	if err != nil {
		return res, fmt.Errorf("revoker: revoke %s: %w", t.ID, err)
	}
	res.Token = after
	if already {
		return settled(res, after.State(now)), nil
	}
	res.Revoked, res.Status = true, StatusRevoked
	r.log.Info().Str("token_id", t.ID).Str("source", string(rep.Source)).Str("reason", reason).Msg("leaked token revoked")
	return res, nil
}
