package rediscache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/store"
)

// entryVersion is the "v" of entries this package writes; entries with any
// other version are treated as misses.
const entryVersion = 1

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
}

// encodeToken returns the entry JSON for t.
func encodeToken(t *store.Token) ([]byte, error) {
	r := &record{
		ID: t.ID, Hash: t.Hash, Type: t.Type, FormatID: t.FormatID, Owner: t.Owner,
		Name: t.Name, Last4: t.Last4, CreatedAt: t.CreatedAt.UTC(),
		ExpiresAt: utcPtr(t.ExpiresAt), LastUsedAt: utcPtr(t.LastUsedAt),
		Valid: t.Valid, InvalidAt: utcPtr(t.InvalidAt),
		InvalidReason: t.InvalidReason, RevokedBy: t.RevokedBy,
	}
	b, err := json.Marshal(entry{V: entryVersion, Found: true, Token: r})
	if err != nil {
		return nil, fmt.Errorf("rediscache: encode token %s: %w", t.ID, err)
	}
	return b, nil
}

// negativeEntry is the value cached for an unknown hash.
var negativeEntry = []byte(`{"v":1,"found":false}`)

// decodeEntry parses a cached value. It returns found=false with a nil
// token for a negative entry, and an error for anything it does not
// recognise (wrong version, unknown field, a record whose hash differs).
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
	return &store.Token{
		ID: r.ID, Hash: r.Hash, Type: r.Type, FormatID: r.FormatID, Owner: r.Owner,
		Name: r.Name, Last4: r.Last4, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		LastUsedAt: r.LastUsedAt, Valid: r.Valid, InvalidAt: r.InvalidAt,
		InvalidReason: r.InvalidReason, RevokedBy: r.RevokedBy,
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
