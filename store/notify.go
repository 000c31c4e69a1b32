package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Outbound event types (docs/events.md#notifications).
const (
	NotifyRevoked  = "token.revoked"
	NotifyExpiring = "token.expiring"
	// NotifyExpired is sent once a token has reached its expiry.
	NotifyExpired = "token.expired"
)

// EventToken is the token part of an outbound event: metadata only.
type EventToken struct {
	ID        string     `json:"id"`
	Owner     string     `json:"owner"`
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Last4     string     `json:"last4"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// EventPayload is the JSON body POSTed to --notify-url (docs/events.md#notifications).
type EventPayload struct {
	Type   string     `json:"type"`
	Token  EventToken `json:"token"`
	Reason string     `json:"reason,omitempty"`
	Source string     `json:"source,omitempty"`
	At     time.Time  `json:"at"`
	// Rotate tells the owner how to replace a token revoked for a leak;
	// absent otherwise.
	Rotate *RotateHint `json:"rotate,omitempty"`
}

// RotateHint says how to rotate a token: the command and the API route,
// each naming the token by id (docs/events.md#notifications).
type RotateHint struct {
	Command string `json:"command"` // leakguard token rotate --id <id>
	Route   string `json:"route"`   // POST /v1/tokens/<id>/rotate
}

// NewRotateHint is the hint for rotating the token with that id.
func NewRotateHint(id string) *RotateHint {
	return &RotateHint{Command: "leakguard token rotate --id " + id, Route: "POST /v1/tokens/" + id + "/rotate"}
}

// NewNotification builds the outbox entry for an event of typ about t,
// with a fresh random id ("msg_" + 32 hex) used as the webhook-id.
func NewNotification(typ string, t *Token, reason, source string, at time.Time) (*Notification, error) {
	return newNotification(EventPayload{Type: typ, Reason: reason, Source: source}, t, at)
}

// NewRevokedNotification builds the token.revoked outbox entry of the
// revocation req of t. A revocation for a leak (req.Kind
// EventLeakReported) of a token that has no successor yet carries the
// rotate hint: the owner's next step is to rotate it.
func NewRevokedNotification(t *Token, req RevokeRequest) (*Notification, error) {
	p := EventPayload{Type: NotifyRevoked, Reason: req.Reason, Source: req.Source}
	if req.Kind == EventLeakReported && t.ReplacedBy == "" {
		p.Rotate = NewRotateHint(t.ID)
	}
	return newNotification(p, t, req.At)
}

// newNotification completes p with t's metadata and at, and builds the
// outbox entry.
func newNotification(p EventPayload, t *Token, at time.Time) (*Notification, error) {
	typ := p.Type
	p.Token = EventToken{ID: t.ID, Owner: t.Owner, Name: t.Name, Type: t.Type, Last4: t.Last4, ExpiresAt: t.ExpiresAt}
	p.At = at.UTC()
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", typ, err)
	}
	id, err := RandomID("msg_")
	if err != nil {
		return nil, err
	}
	return &Notification{ID: id, Type: typ, Payload: body, CreatedAt: at, NextAttemptAt: at}, nil
}

// RandomID returns prefix followed by 32 random hex characters.
func RandomID(prefix string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}
