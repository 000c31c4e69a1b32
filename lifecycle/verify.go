package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Messages of Verification for tokens that are not in the store or not
// tokens at all. Expired and revoked tokens carry store.Token.InvalidMessage
// (docs/http-api.md#verification-messages).
const (
	MsgUnknown   = "unknown token"
	MsgMalformed = "malformed token"
)

// Verification is the outcome of Verify.
type Verification struct {
	Valid   bool
	Token   *store.Token // nil if unknown or malformed
	Message string       // why it is invalid; "" when valid

	at time.Time // when it was judged (for Observe)
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
// with MsgUnknown; an expired or revoked one carries its docs/http-api.md#verification-messages
// message and gets a verified_invalid audit event (at most one per token per
// TouchInterval per process). A valid token's last_used_at is updated in the
// background, at most once per TouchInterval per process (once per
// busyFactor intervals while the process is busy: background.touch).
func (m *Manager) Verify(ctx context.Context, s patterns.Secret) (Verification, error) {
	if _, ok := m.IssuedFormat(s); !ok {
		return Verification{Message: MsgMalformed}, ErrMalformed
	}
	t, err := m.st.TokenByHash(ctx, s.Hash())
	v, err := m.judge(t, err, m.Now())
	if err == nil {
		m.Observe(v)
	}
	return v, err
}

// VerifyMany is Verify for several secrets with one batch look-up (see
// LookupMany): vs[i], errs[i] are what Verify(ctx, secrets[i]) returns,
// side effects included.
func (m *Manager) VerifyMany(ctx context.Context, secrets ...patterns.Secret) (vs []Verification, errs []error) {
	vs, errs = m.LookupMany(ctx, secrets...)
	for i := range vs {
		if errs[i] == nil {
			m.Observe(vs[i])
		}
	}
	return vs, errs
}

// LookupMany judges every secret as Verify does, but without Verify's side
// effects (last_used_at, verified_invalid): the caller decides which
// results count and passes them to Observe. Malformed secrets are rejected
// by checksum first and never reach the store; the others are looked up
// together, in one call when the store is a store.BatchGetter (the Redis
// cache: one round trip), else one TokenByHash each. vs[i], errs[i]
// belong to secrets[i].
func (m *Manager) LookupMany(ctx context.Context, secrets ...patterns.Secret) (vs []Verification, errs []error) {
	vs, errs = make([]Verification, len(secrets)), make([]error, len(secrets))
	idx := make([]int, 0, len(secrets))
	hashes := make([]string, 0, len(secrets))
	for i, s := range secrets {
		if _, ok := m.IssuedFormat(s); !ok {
			vs[i], errs[i] = Verification{Message: MsgMalformed}, ErrMalformed
			continue
		}
		idx = append(idx, i)
		hashes = append(hashes, s.Hash())
	}
	toks, terrs := m.tokensByHash(ctx, hashes)
	now := m.Now()
	for j, i := range idx {
		vs[i], errs[i] = m.judge(toks[j], terrs[j], now)
	}
	return vs, errs
}

// tokensByHash looks hashes up in one batch if the store can, else one by
// one.
func (m *Manager) tokensByHash(ctx context.Context, hashes []string) ([]*store.Token, []error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	if bg, ok := m.st.(store.BatchGetter); ok {
		return bg.TokensByHash(ctx, hashes)
	}
	toks, errs := make([]*store.Token, len(hashes)), make([]error, len(hashes))
	for i, h := range hashes {
		toks[i], errs[i] = m.st.TokenByHash(ctx, h)
	}
	return toks, errs
}

// judge turns a look-up's outcome into a Verification at now.
func (m *Manager) judge(t *store.Token, err error, now time.Time) (Verification, error) {
	if errors.Is(err, store.ErrNotFound) {
		return Verification{Message: MsgUnknown, at: now}, nil
	}
	if err != nil {
		return Verification{}, fmt.Errorf("verify: %w", err)
	}
	if msg := t.InvalidMessage(now); msg != "" {
		return Verification{Token: t, Message: msg, at: now}, nil
	}
	return Verification{Valid: true, Token: t, at: now}, nil
}

// Observe applies Verify's side effects for v, a result of LookupMany the
// caller acted on: a valid token's last_used_at is touched and an invalid
// one gets a verified_invalid event (each at most once per TouchInterval
// per process, in the background). Unknown and malformed results have
// none.
func (m *Manager) Observe(v Verification) {
	if v.Token == nil {
		return
	}
	at := v.at
	if at.IsZero() {
		at = m.Now()
	}
	if v.Valid {
		m.bg.touch(v.Token.ID, v.Token.Hash, at)
		return
	}
	m.bg.invalidSeen(v.Token.ID, at, v.Message)
}
