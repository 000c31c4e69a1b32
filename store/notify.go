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
}

// NewNotification builds the outbox entry for an event of typ about t,
// with a fresh random id ("msg_" + 32 hex) used as the webhook-id.
func NewNotification(typ string, t *Token, reason, source string, at time.Time) (*Notification, error) {
	body, err := json.Marshal(EventPayload{
		Type: typ,
		Token: EventToken{ID: t.ID, Owner: t.Owner, Name: t.Name, Type: t.Type,
			Last4: t.Last4, ExpiresAt: t.ExpiresAt},
		Reason: reason, Source: source, At: at.UTC(),
	})
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
