package lifecycle

import (
	"context"
	"errors"
	"fmt"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Messages of Verification for tokens that are not in the store or not
// tokens at all. Expired and revoked tokens carry store.Token.InvalidMessage
// (CONTRACT §4).
const (
	MsgUnknown   = "unknown token"
	MsgMalformed = "malformed token"
)

// Verification is the outcome of Verify.
type Verification struct {
	Valid   bool
	Token   *store.Token // nil if unknown or malformed
	Message string       // why it is invalid; "" when valid
}

// IssuedFormat returns the issued format s is a checksum-valid token of. It
// touches no store: this is the fast-reject for garbage and look-alikes.
func (m *Manager) IssuedFormat(s patterns.Secret) (*patterns.Format, bool) {
	if s.IsZero() || s.Len() > m.cat.MaxLen() {
		return nil, false
	}
	tok := s.Reveal()
	for _, f := range m.cat.Formats() {
		if f.Issued && f.Valid(tok) {
			return f, true
		}
	}
	return nil, false
}

// Verify says whether s is a valid token now. A value that is not a
// checksum-valid token of an issued format returns ErrMalformed (with
// Message MsgMalformed) before any store call. An unknown token is invalid
// with MsgUnknown; an expired or revoked one carries its CONTRACT §4
// message and gets a verified_invalid audit event (at most one per token per
// TouchInterval per process). A valid token's last_used_at is updated in the
// background, at most once per TouchInterval per process.
func (m *Manager) Verify(ctx context.Context, s patterns.Secret) (Verification, error) {
	if _, ok := m.IssuedFormat(s); !ok {
		return Verification{Message: MsgMalformed}, ErrMalformed
	}
	t, err := m.st.TokenByHash(ctx, s.Hash())
	if errors.Is(err, store.ErrNotFound) {
		return Verification{Message: MsgUnknown}, nil
	}
	if err != nil {
		return Verification{}, fmt.Errorf("verify: %w", err)
	}
	now := m.Now()
	if msg := t.InvalidMessage(now); msg != "" {
		m.bg.invalidSeen(t.ID, now, msg)
		return Verification{Token: t, Message: msg}, nil
	}
	m.bg.touch(t.ID, now)
	return Verification{Valid: true, Token: t}, nil
}
