package lifecycle

import (
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// Record is the JSON view of a token, as `token list --format json` and the
// HTTP API show it (docs/cli.md#token-record). It holds no secret.
type Record struct {
	ID            string          `json:"id"`
	Owner         string          `json:"owner"`
	Name          string          `json:"name"`
	Type          string          `json:"type"`
	Last4         string          `json:"last4"`
	CreatedAt     time.Time       `json:"created_at"`
	ExpiresAt     *time.Time      `json:"expires_at"`
	LastUsedAt    *time.Time      `json:"last_used_at"`
	State         leakguard.State `json:"state"`
	InvalidAt     *time.Time      `json:"invalid_at"`
	InvalidReason string          `json:"invalid_reason"`
	Scopes        []string        `json:"scopes"` // sorted; [] for none
	// Replaces and ReplacedBy are the rotation links (absent for none):
	// the token this one replaced, and this one's successor.
	Replaces   string `json:"replaces,omitempty"`
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// NewRecord returns t's record with its state at now. A token past its
// expiry that the sweeper has not marked yet reads as expired with
// invalid_at = expires_at and invalid_reason "expired", as it will once
// marked.
func NewRecord(t *store.Token, now time.Time) Record {
	r := Record{
		ID: t.ID, Owner: t.Owner, Name: t.Name, Type: t.Type, Last4: t.Last4,
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: utc(t.ExpiresAt), LastUsedAt: utc(t.LastUsedAt),
		State: t.State(now), InvalidAt: utc(t.InvalidAt), InvalidReason: t.InvalidReason,
		Scopes: ScopesOf(t), Replaces: t.Replaces, ReplacedBy: t.ReplacedBy,
	}
	if r.State == leakguard.StateExpired && t.Valid {
		r.InvalidAt, r.InvalidReason = utc(t.ExpiresAt), store.ReasonExpired
	}
	return r
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ScopesOf returns t's scopes for an answer: never nil, so that JSON
// shows [] for a token without scopes; for no token (nil t), [] too.
func ScopesOf(t *store.Token) []string {
	if t == nil || len(t.Scopes) == 0 {
		return []string{}
	}
	return t.Scopes
}
