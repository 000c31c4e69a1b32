package store

import (
	"fmt"
	"time"

	"github.com/leakguard/leakguard"
)

// RotateRequest replaces the token OldID by Successor (RotateToken).
// In one transaction the store creates Successor (Replaces = OldID) with
// its issued event, sets the old token's ReplacedBy, writes a rotated
// event on it, and retires it: at once when RetireAt is not after At
// (revoked with Reason, Actor and Source, a revoked event and Notify in
// the outbox, as Revoke does), else by moving its ExpiresAt to RetireAt
// when that is sooner, so that the sweeper expires it then. An old token
// that is already revoked (for a leak, most often) is only linked: its
// state, reason and expiry stay as they are, RetireAt, Reason and Notify
// are ignored, and its rotated event says so.
type RotateRequest struct {
	OldID     string    // required
	Successor *Token    // required; created as CreateToken does
	Issued    Event     // the successor's issued event
	At        time.Time // when; zero means the store's clock
	RetireAt  time.Time // end of the grace period; zero: retire at once
	Reason    string    // the revocation reason when retired at once
	Actor     string    // who rotates
	Source    string    // how (cli, api)
	// Notify is the token.revoked notification of a retirement at once;
	// nil otherwise.
	Notify *Notification
}

// Prepare checks r, defaults At to now(), links the successor to the old
// token and prepares it as CreateToken does. It returns the issued event.
func (r *RotateRequest) Prepare(now func() time.Time) (Event, error) {
	switch {
	case r.OldID == "":
		return Event{}, fmt.Errorf("%w: rotate needs the old token's id", ErrInvalid)
	case r.Successor == nil:
		return Event{}, fmt.Errorf("%w: rotate needs a successor", ErrInvalid)
	case r.Successor.ID == r.OldID:
		return Event{}, fmt.Errorf("%w: a token cannot replace itself", ErrInvalid)
	case r.Reason == "":
		return Event{}, fmt.Errorf("%w: rotate needs a reason", ErrInvalid)
	}
	if err := firstError(CheckLabel("id", r.OldID, 0), CheckText("reason", r.Reason, 0),
		CheckText("actor", r.Actor, 0), CheckText("source", r.Source, 0)); err != nil {
		return Event{}, err
	}
	if r.At.IsZero() {
		r.At = now()
	}
	r.Successor.Replaces, r.Successor.ReplacedBy = r.OldID, ""
	return PrepareCreate(r.Successor, r.Issued, func() time.Time { return r.At })
}

// Retire returns old as the rotation leaves it and the events to append
// to its trail, or ErrConflict when old was already rotated or is neither
// active nor revoked at r.At (an expired token is not rotated). Adapters
// call it on the old token read in the rotation's transaction (with a row
// lock where the database has them). A revoked old token comes back with
// only ReplacedBy set: Retired reports whether its state changed.
func (r *RotateRequest) Retire(old *Token) (*Token, []Event, error) {
	st := old.State(r.At)
	switch {
	case old.ReplacedBy != "":
		return nil, nil, fmt.Errorf("%w: token %s was already rotated (replaced by %s)", ErrConflict, old.ID, old.ReplacedBy)
	case st != leakguard.StateActive && st != leakguard.StateRevoked:
		return nil, nil, fmt.Errorf("%w: token %s is %s, not active or revoked", ErrConflict, old.ID, st)
	}
	t := *old
	t.ReplacedBy = r.Successor.ID
	ev := Event{TokenID: t.ID, Kind: EventRotated, At: r.At, Actor: r.Actor, Source: r.Source,
		Detail: "replaced by " + t.ReplacedBy}
	if st == leakguard.StateRevoked {
		ev.Detail += "; already revoked"
		return &t, []Event{ev}, nil
	}
	if !r.RetireAt.After(r.At) {
		t.Valid, t.InvalidAt, t.InvalidReason, t.RevokedBy = false, &r.At, r.Reason, r.Actor
		rev := Event{TokenID: t.ID, Kind: EventRevoked, At: r.At, Actor: r.Actor, Source: r.Source, Detail: r.Reason}
		return &t, []Event{ev, rev}, nil
	}
	if t.ExpiresAt == nil || r.RetireAt.Before(*t.ExpiresAt) {
		retire := r.RetireAt
		t.ExpiresAt = &retire
	}
	ev.Detail += "; valid until " + t.ExpiresAt.UTC().Format(time.RFC3339)
	return &t, []Event{ev}, nil
}

// Retired reports whether a rotation of old (as read in its transaction,
// before Retire) changes its validity or expiry: old was active. Then the
// adapter appends it to the revocation log (RevocationFeed) and, when it
// is retired at once, enqueues Notify. A revoked old token is only linked.
func (r *RotateRequest) Retired(old *Token) bool { return old.Valid }
