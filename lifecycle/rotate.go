package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// RotateRequest asks to replace a token, named by exactly one of Secret
// or ID, by a successor.
type RotateRequest struct {
	Secret patterns.Secret // the token itself
	ID     string          // or its id
	// Grace is how long the old token stays valid beside its successor: a
	// duration as ParseExpiry reads it ("24h", "7d"), or "" or "0" to
	// retire it at once. It is capped by the policy's MaxExpiry, and by
	// the old token's own expiry.
	Grace  string
	Actor  string // required: who rotates
	Source string // how (cli, api)
}

// Rotated is a rotation's outcome: the successor, shown once, and the old
// token as the rotation left it.
type Rotated struct {
	Issued
	Old *store.Token
	// WasRevoked is set when the old token was already revoked (for a
	// leak, most often): it was only linked to its successor, and any
	// grace asked for was ignored.
	WasRevoked bool
}

// ParseGrace reads a grace period: "", "0" or a positive duration as
// ParseExpiry reads it ("never" is refused), capped by p.MaxExpiry.
// Errors wrap store.ErrInvalid.
func (p Policy) ParseGrace(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	d, never, err := ParseExpiry(s)
	if err != nil || never {
		return 0, fmt.Errorf("%w: bad grace %q: want 0 or a duration (24h, 7d)", store.ErrInvalid, s)
	}
	if p.MaxExpiry > 0 && d > p.MaxExpiry {
		d = p.MaxExpiry
	}
	return d, nil
}

// Rotate issues a successor of the named token with the same owner, name,
// type and scopes and a new expiry under the policy's default, and links
// the two (the successor's Replaces, the old token's ReplacedBy), all in
// one store transaction. With no grace the old token is revoked at once
// (reason "rotated to <successor id>", a token.revoked notification);
// with a grace its expiry moves to the end of the grace (never later than
// it was), so the sweeper expires it then and verify shows rotate_by
// meanwhile.
//
// A token that is already revoked — the usual case after a leak: the
// owner is told to rotate — can be rotated too: the successor is issued
// and linked, and nothing else about the old token changes (its
// revocation, reason and time stay; no grace applies, whatever was asked;
// nobody is notified again). Rotated.WasRevoked says so.
//
// Errors: store.ErrInvalid (no or both identifiers, a bad grace, text
// that breaks the rules), ErrMalformed for a Secret that is no token of
// ours, store.ErrNotFound for an unknown token, store.ErrConflict for a
// token that expired or was already rotated, ErrPolicy when the policy
// gives no expiry, or the store's.
func (m *Manager) Rotate(ctx context.Context, req RotateRequest) (Rotated, error) {
	old, grace, err := m.rotateTarget(ctx, req)
	if err != nil {
		return Rotated{}, err
	}
	wasRevoked := old.State(m.Now()) == leakguard.StateRevoked
	if wasRevoked {
		grace = 0
	}
	life, err := m.policy.Lifetime("")
	if err != nil {
		return Rotated{}, err
	}
	iss, err := m.mint(old, life)
	if err != nil {
		return Rotated{}, err
	}
	t, now := iss.Token, iss.Token.CreatedAt
	actor, source := m.redact(strings.TrimSpace(req.Actor)), m.redact(req.Source)
	sreq := store.RotateRequest{OldID: old.ID, Successor: t, At: now, Reason: "rotated to " + t.ID,
		Actor: actor, Source: source, Issued: store.Event{Kind: store.EventIssued, At: now, Actor: actor,
			Source: source, Detail: issuedDetail(t) + "; replaces " + old.ID}}
	switch {
	case wasRevoked: // only linked: no retirement, no notification
	case grace > 0:
		sreq.RetireAt = now.Add(grace)
	default:
		if sreq.Notify, err = store.NewNotification(store.NotifyRevoked, old, sreq.Reason, source, now); err != nil {
			return Rotated{}, err
		}
	}
	after, err := m.st.RotateToken(ctx, sreq)
	if err != nil {
		return Rotated{}, fmt.Errorf("rotate token %s: %w", old.ID, err)
	}
	m.log.Info().Str("token_id", old.ID).Str("successor", t.ID).Str("actor", actor).Str("source", source).
		Str("grace", grace.String()).Bool("was_revoked", wasRevoked).Msg("token rotated")
	return Rotated{Issued: iss, Old: after, WasRevoked: wasRevoked}, nil
}

// rotateTarget checks req and finds the token it names, active or
// revoked and not yet rotated, and the grace asked.
func (m *Manager) rotateTarget(ctx context.Context, req RotateRequest) (*store.Token, time.Duration, error) {
	if strings.TrimSpace(req.Actor) == "" {
		return nil, 0, fmt.Errorf("%w: an actor is required", store.ErrInvalid)
	}
	if err := firstError(store.CheckLabel("actor", req.Actor, maxActorLen),
		store.CheckLabel("source", req.Source, maxSourceLen), store.CheckLabel("grace", req.Grace, 0)); err != nil {
		return nil, 0, err
	}
	grace, err := m.policy.ParseGrace(req.Grace)
	if err != nil {
		return nil, 0, err
	}
	var old *store.Token
	switch {
	case req.Secret.IsZero() == (strings.TrimSpace(req.ID) == ""):
		return nil, 0, fmt.Errorf("%w: give one of token or id", store.ErrInvalid)
	case req.ID != "":
		old, err = m.Get(ctx, strings.TrimSpace(req.ID))
	default:
		if _, ok := m.IssuedFormat(req.Secret); !ok {
			return nil, 0, fmt.Errorf("%w: %w", ErrMalformed, store.ErrInvalid)
		}
		if old, err = m.st.TokenByHash(ctx, req.Secret.Hash()); err != nil {
			err = fmt.Errorf("rotate token: %w", err)
		}
	}
	if err != nil {
		return nil, 0, err
	}
	switch st := old.State(m.Now()); {
	case old.ReplacedBy != "":
		return nil, 0, fmt.Errorf("%w: token %s was already rotated (replaced by %s)", store.ErrConflict, old.ID, old.ReplacedBy)
	case st == leakguard.StateExpired:
		return nil, 0, fmt.Errorf("%w: token %s is expired; only an active or revoked token can be rotated (issue a new one)", store.ErrConflict, old.ID)
	}
	return old, grace, nil
}
