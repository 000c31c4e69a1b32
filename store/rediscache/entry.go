package rediscache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// entryVersion is the "v" of entries this package writes; entries with any
// other version are unreadable and read through to next (without a fill:
// the entry stays until its TTL ends or a state change overwrites it).
// Version 2 added the token's scopes: a version 1 entry, written by an
// older leakguard sharing the Redis database, lacks them, and reading it
// as "no scopes" would be wrong for a token that has some. Older binaries
// refuse version 2 entries likewise (version and unknown field), so both
// read through during a rolling upgrade, and the hash and id keys stay
// where they were, so a revocation either one writes is seen by both.
// Version 3 added the rotation links (replaces, replaced_by), for the same
// reason: a version 2 entry of a rotated token would read as not rotated
// (no rotate_by in verify), so it reads through too.
const entryVersion = 3

// entry is the JSON value cached under a hash key: the token's metadata, or
// Found=false for an unknown hash. It holds no secret.
type entry struct {
	V     int     `json:"v"`
	Found bool    `json:"found"`
	Token *record `json:"token,omitempty"`
}

// record is the cached form of a store.Token: metadata and hash only.
type record struct {
	ID            string     `json:"id"`
	Hash          string     `json:"hash"`
	Type          string     `json:"type"`
	FormatID      string     `json:"format_id"`
	Owner         string     `json:"owner"`
	Name          string     `json:"name"`
	Last4         string     `json:"last4"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     *time.Time `json:"expires_at"`
	LastUsedAt    *time.Time `json:"last_used_at"`
	Valid         bool       `json:"valid"`
	InvalidAt     *time.Time `json:"invalid_at"`
	InvalidReason string     `json:"invalid_reason"`
	RevokedBy     string     `json:"revoked_by"`
	Scopes        []string   `json:"scopes"` // [] for none, never null
	Replaces      string     `json:"replaces"`
	ReplacedBy    string     `json:"replaced_by"`
}

// encodeToken returns the entry JSON for t.
func encodeToken(t *store.Token) ([]byte, error) {
	r := &record{
		ID: t.ID, Hash: t.Hash, Type: t.Type, FormatID: t.FormatID, Owner: t.Owner,
		Name: t.Name, Last4: t.Last4, CreatedAt: t.CreatedAt.UTC(),
		ExpiresAt: utcPtr(t.ExpiresAt), LastUsedAt: utcPtr(t.LastUsedAt),
		Valid: t.Valid, InvalidAt: utcPtr(t.InvalidAt),
		InvalidReason: t.InvalidReason, RevokedBy: t.RevokedBy, Scopes: t.Scopes,
		Replaces: t.Replaces, ReplacedBy: t.ReplacedBy,
	}
	if r.Scopes == nil {
		r.Scopes = []string{}
	}
	b, err := json.Marshal(entry{V: entryVersion, Found: true, Token: r})
	if err != nil {
		return nil, fmt.Errorf("rediscache: encode token %s: %w", t.ID, err)
	}
	return b, nil
}

// negativeEntry is the value cached for an unknown hash.
var negativeEntry = []byte(`{"v":3,"found":false}`)

// decodeEntry parses a cached value. It returns found=false with a nil
// token for a negative entry, and an error for anything it does not
// recognise (wrong version, unknown field, a record whose hash differs or
// whose scopes are missing or not in store.Token's form).
func decodeEntry(b []byte, hash string) (*store.Token, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e entry
	if err := dec.Decode(&e); err != nil {
		return nil, false, fmt.Errorf("rediscache: decode entry: %w", err)
	}
	switch {
	case e.V != entryVersion:
		return nil, false, fmt.Errorf("rediscache: entry version %d", e.V)
	case !e.Found:
		return nil, false, nil
	case e.Token == nil || e.Token.Hash != hash:
		return nil, false, fmt.Errorf("rediscache: entry does not match hash %s", hash)
	}
	r := e.Token
	scopes, err := leakguard.ParseScopes(r.Scopes)
	if r.Scopes == nil || err != nil || !slices.Equal(scopes, r.Scopes) {
		return nil, false, fmt.Errorf("rediscache: entry of %s has no scopes in store form", hash)
	}
	return &store.Token{
		ID: r.ID, Hash: r.Hash, Type: r.Type, FormatID: r.FormatID, Owner: r.Owner,
		Name: r.Name, Last4: r.Last4, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		LastUsedAt: r.LastUsedAt, Valid: r.Valid, InvalidAt: r.InvalidAt,
		InvalidReason: r.InvalidReason, RevokedBy: r.RevokedBy, Scopes: scopes,
		Replaces: r.Replaces, ReplacedBy: r.ReplacedBy,
	}, true, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// keys builds the Redis keys under one prefix.
type keys struct{ prefix string }

// hash is the entry key of a token hash.
func (k keys) hash(h string) string { return k.prefix + "tok:h:" + h }

// id is the id→hash pointer key of a token id.
func (k keys) id(id string) string { return k.prefix + "tok:i:" + id }
