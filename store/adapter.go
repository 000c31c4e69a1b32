package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
)

// The helpers in this file are for Store implementations: the checks and
// defaults every adapter applies the same way whatever its SQL dialect, so
// that store/sqlite and store/postgres differ only in their queries.

// MaxErrorLen caps the delivery error an adapter stores with a
// notification (MarkFailed's errMsg).
const MaxErrorLen = 1000

// PrepareCreate checks t and applies CreateToken's defaults: t.Scopes
// sorted (nil for none), t.CreatedAt from now, and on ev the token's ID,
// Kind EventIssued and At t.CreatedAt. It returns the event to record with
// the token.
func PrepareCreate(t *Token, ev Event, now func() time.Time) (Event, error) {
	if err := t.Validate(); err != nil {
		return Event{}, err
	}
	t.Scopes, _ = leakguard.ParseScopes(t.Scopes) // checked by Validate
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now()
	}
	ev.TokenID = t.ID
	if ev.Kind == "" {
		ev.Kind = EventIssued
	}
	if ev.At.IsZero() {
		ev.At = t.CreatedAt
	}
	return ev, nil
}

// Label names the token of a revoke request in errors: its id, else the
// start of its hash.
func (r *RevokeRequest) Label() string {
	if r.ID != "" {
		return r.ID
	}
	return "hash " + leakguard.ShortHash(r.Hash)
}

// Prepare checks r and applies Revoke's defaults: At from now, Kind
// EventRevoked.
func (r *RevokeRequest) Prepare(now func() time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.At.IsZero() {
		r.At = now()
	}
	if r.Kind == "" {
		r.Kind = EventRevoked
	}
	return nil
}

// Event is the audit event a revocation of the token tokenID by r records.
func (r *RevokeRequest) Event(tokenID string) Event {
	return Event{TokenID: tokenID, Kind: r.Kind, At: r.At, Actor: r.Actor, Source: r.Source, Detail: r.Reason}
}

// Schedule checks n and returns when it was created and when it is first
// due: CreatedAt, else at; NextAttemptAt, else the creation time.
func (n *Notification) Schedule(at time.Time) (created, next time.Time, err error) {
	if err := n.Validate(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	created, next = n.CreatedAt, n.NextAttemptAt
	if created.IsZero() {
		created = at
	}
	if next.IsZero() {
		next = created
	}
	return created, next, nil
}

// TruncateError cuts a delivery error to at most MaxErrorLen bytes without
// splitting a UTF-8 sequence.
func TruncateError(msg string) string {
	if len(msg) > MaxErrorLen {
		msg = msg[:MaxErrorLen]
	}
	// What every store can keep: PostgreSQL refuses NUL and invalid UTF-8.
	return strings.ToValidUTF8(strings.ReplaceAll(msg, "\x00", ""), "")
}

// IssuerReportLabel names a report in errors: "issuer report" and the
// start of its hash, or no hash at all when it is malformed (it may then be
// a plaintext token passed by mistake).
func IssuerReportLabel(hash string) string {
	if !leakguard.ValidHash(hash) {
		return "issuer report (malformed hash)"
	}
	return "issuer report " + leakguard.ShortHash(hash)
}

// PrepareIssuerClaim checks a ClaimIssuerReport request and returns the row
// to insert if r.Hash is new: r's identity and first sighting (Hash,
// Issuer, FormatID, Source, Location), pending, no attempt, CreatedAt now
// and LeaseUntil now+lease, in UTC. A zero now means the store's clock.
// An existing row is taken over only if it is pending and its LeaseUntil
// is not after the returned CreatedAt, and then only its LeaseUntil
// changes.
func PrepareIssuerClaim(r IssuerReport, now time.Time, lease time.Duration, clock func() time.Time) (IssuerReport, error) {
	if err := r.Validate(); err != nil {
		return IssuerReport{}, err
	}
	if lease <= 0 {
		return IssuerReport{}, fmt.Errorf("%w: lease must be positive", ErrInvalid)
	}
	if now.IsZero() {
		now = clock()
	}
	now = now.UTC()
	return IssuerReport{Hash: r.Hash, Issuer: r.Issuer, FormatID: r.FormatID, Source: r.Source,
		Location: r.Location, State: IssuerReportPending, CreatedAt: now, LeaseUntil: now.Add(lease)}, nil
}

// IssuerAnswer is what AnswerIssuerReport writes to a report that is still
// pending (a final one is left as it is): one more attempt at At,
// Response and State, AnsweredAt and LeaseUntil.
type IssuerAnswer struct {
	Hash     string
	State    IssuerReportState
	Response string    // cut like a delivery error (TruncateError)
	At       time.Time // the attempt (LastAttempt)
	// AnsweredAt is At for a final state, nil for pending.
	AnsweredAt *time.Time
	// LeaseUntil is retryAt for a pending state (At when retryAt is
	// zero: claimable at once), At for a final one.
	LeaseUntil time.Time
}

// PrepareIssuerAnswer checks an AnswerIssuerReport request (a well-formed
// hash, one of the four states) and returns what to write, in UTC. A zero
// at means the store's clock.
func PrepareIssuerAnswer(hash string, state IssuerReportState, response string, at, retryAt time.Time,
	clock func() time.Time) (IssuerAnswer, error) {
	if !leakguard.ValidHash(hash) {
		return IssuerAnswer{}, fmt.Errorf("%w: issuer report hash must be 64 lower-case hex characters (SHA-256)", ErrInvalid)
	}
	if err := state.Validate(); err != nil {
		return IssuerAnswer{}, err
	}
	if at.IsZero() {
		at = clock()
	}
	a := IssuerAnswer{Hash: hash, State: state, Response: TruncateError(response), At: at.UTC(), LeaseUntil: retryAt.UTC()}
	if state.Final() {
		a.AnsweredAt, a.LeaseUntil = &a.At, a.At
	} else if retryAt.IsZero() {
		a.LeaseUntil = a.At
	}
	return a, nil
}
