package lifecycle

import (
	"context"
	"fmt"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

// RevokeRequest identifies a token by exactly one of Secret, Hash or ID and
// says why it dies and who says so.
type RevokeRequest struct {
	Secret patterns.Secret // the token itself
	Hash   string          // or its SHA-256 hex
	ID     string          // or its id
	Reason string          // required, e.g. "leaked: file app.py:12"
	Actor  string          // required: who revokes (user, github-secret-scanning)
	Source string          // where the leak was seen, if any
	// Kind is the audit event kind: store.EventRevoked (default) or
	// store.EventLeakReported.
	Kind store.EventKind
}

// Revoke invalidates a token with a reason, idempotently: a token that is
// already invalid (revoked, or expired whether the sweeper marked it or
// not) is returned with already=true and nothing is written. When it does
// revoke, a token.revoked notification is enqueued in the outbox in the
// same transaction. The store call is revoker.RevokeToken's, the one the
// leak reports make: on a store.Settler (the Redis near cache) a token
// already marked invalid still goes through the store's Revoke, so the
// answer waits out the near caches' leases of another process's
// revocation of a moment ago. Errors: store.ErrInvalid (no identifier,
// several, no reason or actor, bad hash), ErrMalformed (also
// store.ErrInvalid) for a Secret that is no token of ours,
// store.ErrNotFound for an unknown token, or the store's.
func (m *Manager) Revoke(ctx context.Context, req RevokeRequest) (t *store.Token, already bool, err error) {
	sreq, err := m.revokeRequest(req)
	if err != nil {
		return nil, false, err
	}
	cur, err := m.lookup(ctx, sreq)
	if err != nil {
		return nil, false, err
	}
	t, already, err = revoker.RevokeToken(ctx, m.st, cur, sreq)
	if err != nil {
		return nil, false, fmt.Errorf("revoke token %s: %w", cur.ID, err)
	}
	if !already {
		m.log.Info().Str("token_id", t.ID).Str("actor", sreq.Actor).Str("source", sreq.Source).
			Str("reason", sreq.Reason).Msg("token revoked")
	}
	return t, already, nil
}

// revokeRequest checks req and turns it into the store's request.
func (m *Manager) revokeRequest(req RevokeRequest) (store.RevokeRequest, error) {
	// Reason, actor and source are free text kept in the store, sent to the
	// owner and shown by verify, and the id is a look-up key: a token quoted
	// in them ("leaked as lgu_...") must not be stored, logged or queried.
	req.Reason, req.Actor = m.redact(strings.TrimSpace(req.Reason)), m.redact(strings.TrimSpace(req.Actor))
	req.Source, req.ID = m.redact(req.Source), m.redact(strings.TrimSpace(req.ID))
	req.Hash = strings.TrimSpace(req.Hash)
	n := 0
	for _, set := range []bool{!req.Secret.IsZero(), req.Hash != "", req.ID != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return store.RevokeRequest{}, fmt.Errorf("%w: one of token, hash or id is required", store.ErrInvalid)
	case n > 1:
		return store.RevokeRequest{}, fmt.Errorf("%w: give only one of token, hash or id", store.ErrInvalid)
	case req.Reason == "":
		return store.RevokeRequest{}, fmt.Errorf("%w: a reason is required", store.ErrInvalid)
	case req.Actor == "":
		return store.RevokeRequest{}, fmt.Errorf("%w: an actor is required", store.ErrInvalid)
	}
	if err := firstError(store.CheckLabel("reason", req.Reason, maxReasonLen),
		store.CheckLabel("actor", req.Actor, maxActorLen), store.CheckLabel("source", req.Source, maxSourceLen),
		checkID("id", req.ID), store.CheckLabel("hash", req.Hash, 0)); err != nil {
		return store.RevokeRequest{}, err
	}
	if req.Hash = strings.ToLower(req.Hash); req.Hash != "" && !leakguard.ValidHash(req.Hash) {
		return store.RevokeRequest{}, fmt.Errorf("%w: hash must be 64 hex characters (SHA-256)", store.ErrInvalid)
	}
	if !req.Secret.IsZero() {
		if _, ok := m.IssuedFormat(req.Secret); !ok {
			return store.RevokeRequest{}, fmt.Errorf("%w: %w", ErrMalformed, store.ErrInvalid)
		}
		req.Hash = req.Secret.Hash()
	}
	kind := req.Kind
	if kind == "" {
		kind = store.EventRevoked
	}
	if kind != store.EventRevoked && kind != store.EventLeakReported {
		return store.RevokeRequest{}, fmt.Errorf("%w: revoke event kind %q", store.ErrInvalid, kind)
	}
	return store.RevokeRequest{ID: req.ID, Hash: req.Hash, Reason: req.Reason, Actor: req.Actor,
		Source: req.Source, Kind: kind, At: m.Now()}, nil
}

// lookup finds the token a revoke request names.
func (m *Manager) lookup(ctx context.Context, req store.RevokeRequest) (*store.Token, error) {
	if req.ID != "" {
		t, err := m.st.TokenByID(ctx, req.ID)
		if err != nil {
			return nil, fmt.Errorf("revoke token %s: %w", req.ID, err)
		}
		return t, nil
	}
	t, err := m.st.TokenByHash(ctx, req.Hash)
	if err != nil {
		return nil, fmt.Errorf("revoke token with hash %s: %w", req.Hash, err)
	}
	return t, nil
}
