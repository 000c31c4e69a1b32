package store

import (
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

// PrepareCreate checks t and applies CreateToken's defaults: t.CreatedAt
// from now, and on ev the token's ID, Kind EventIssued and At t.CreatedAt.
// It returns the event to record with the token.
func PrepareCreate(t *Token, ev Event, now func() time.Time) (Event, error) {
	if err := t.Validate(); err != nil {
		return Event{}, err
	}
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
