package webhook_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/webhook"
)

// batchingStore is a store.BatchGetter that counts its calls.
type batchingStore struct {
	store.Store
	singles, batches, hashes atomic.Int64
}

func (b *batchingStore) TokenByHash(ctx context.Context, h string) (*store.Token, error) {
	b.singles.Add(1)
	return b.Store.TokenByHash(ctx, h)
}

func (b *batchingStore) TokensByHash(ctx context.Context, hashes []string) ([]*store.Token, []error) {
	b.batches.Add(1)
	b.hashes.Add(int64(len(hashes)))
	toks, errs := make([]*store.Token, len(hashes)), make([]error, len(hashes))
	for i, h := range hashes {
		toks[i], errs[i] = b.Store.TokenByHash(ctx, h)
	}
	return toks, errs
}

// TestVerifyRouteOrder: the verify route answers as bearer auth first,
// then the body, then the target; requests that are not authorized leave
// the target untouched (no last_used_at, no verified_invalid event).
func TestVerifyRouteOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	svc, user := e.issue(t, patterns.TypeService), e.issue(t, patterns.TypeUser)
	target, dead, deadBearer := e.issue(t, patterns.TypeUser), e.issue(t, patterns.TypeUser), e.issue(t, patterns.TypeService)
	for _, s := range []patterns.Secret{dead, deadBearer} {
		if _, _, err := e.mgr.Revoke(ctx, lifecycle.RevokeRequest{Secret: s, Reason: "test", Actor: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	adminFmt, _ := patterns.Default().Issued(patterns.TypeAdmin)
	unknown, _ := adminFmt.Generate(nil)
	body := func(s patterns.Secret) string { return `{"token":"` + s.Reveal() + `"}` }
	huge := `{"token":"` + strings.Repeat("a", webhook.DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		bearer patterns.Secret
		body   string
		status int
		code   string
	}{
		{"no bearer, bad JSON", patterns.Secret{}, `{`, 401, "unauthorized"},
		{"malformed bearer, revoked target", patterns.NewSecret("lgs_nope"), body(dead), 401, "unauthorized"},
		{"unknown bearer, revoked target", unknown, body(dead), 401, "unauthorized"},
		{"unknown bearer, valid target", unknown, body(target), 401, "unauthorized"},
		{"revoked bearer, valid target", deadBearer, body(target), 401, "unauthorized"},
		{"revoked bearer, oversize body", deadBearer, huge, 401, "unauthorized"},
		{"user bearer, bad JSON", user, `{`, 403, "forbidden"},
		{"user bearer, revoked target", user, body(dead), 403, "forbidden"},
		{"user bearer, valid target", user, body(target), 403, "forbidden"},
		{"service, bad JSON", svc, `{`, 400, "bad_request"},
		{"service, unknown field", svc, `{"token":"x","extra":1}`, 400, "bad_request"},
		{"service, oversize body", svc, huge, 413, "too_large"},
		{"service, malformed target", svc, `{"token":"lgu_nope"}`, 400, "malformed_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := e.api(t, "POST", "/v1/tokens/verify", tc.bearer, tc.body)
			wantStatus(t, resp, out, tc.status)
			if got := errorCode(t, out); got != tc.code {
				t.Errorf("code = %q, want %q", got, tc.code)
			}
			for _, s := range []patterns.Secret{tc.bearer, target, dead} {
				if !s.IsZero() && strings.Contains(string(out), s.Reveal()) {
					t.Error("response echoes a token")
				}
			}
		})
	}
	if err := e.mgr.Close(); err != nil { // flush background writes
		t.Fatal(err)
	}
	if used, n := touched(t, e.raw, target, dead); used || n != 0 {
		t.Errorf("unauthorized verifies left traces: last_used_at set = %v, verified_invalid events = %d", used, n)
	}
}

// touched reports whether valid's last_used_at is set and how many
// verified_invalid events invalid has.
func touched(t *testing.T, st store.Store, valid, invalid patterns.Secret) (bool, int) {
	t.Helper()
	ctx := context.Background()
	tok, err := st.TokenByHash(ctx, valid.Hash())
	if err != nil {
		t.Fatal(err)
	}
	dead, err := st.TokenByHash(ctx, invalid.Hash())
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, dead.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == store.EventVerifiedInvalid {
			n++
		}
	}
	return tok.LastUsedAt != nil, n
}

// TestVerifyRouteOneBatch: with a batching store (the Redis cache), one
// verify is one batch look-up of bearer and target together and no single
// look-up; the answers and side effects are Verify's.
func TestVerifyRouteOneBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "batch.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	bs := &batchingStore{Store: raw}
	mgr := lifecycle.New(bs, patterns.Default(), lifecycle.Options{Logger: zerolog.Nop()})
	t.Cleanup(func() { _ = mgr.Close() })
	e := newEnv(t, func(c *webhook.Config) { c.Manager = mgr })
	issue := func(typ string) patterns.Secret {
		iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o@example.org", Name: "n", Type: typ, Actor: "t", Source: "t"})
		if err != nil {
			t.Fatal(err)
		}
		return iss.Secret
	}
	svc, target, dead := issue(patterns.TypeService), issue(patterns.TypeUser), issue(patterns.TypeUser)
	if _, _, err := mgr.Revoke(ctx, lifecycle.RevokeRequest{Secret: dead, Reason: "leaked", Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target patterns.Secret
		valid  bool
	}{{target, true}, {dead, false}} {
		s0, b0, h0 := bs.singles.Load(), bs.batches.Load(), bs.hashes.Load()
		resp, out := e.api(t, "POST", "/v1/tokens/verify", svc, `{"token":"`+tc.target.Reveal()+`"}`)
		wantStatus(t, resp, out, 200)
		var v struct {
			Valid   bool   `json:"valid"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		if v.Valid != tc.valid || (!v.Valid && !strings.Contains(v.Message, "leaked")) {
			t.Errorf("verify = %+v, want valid=%v", v, tc.valid)
		}
		if s, b, h := bs.singles.Load()-s0, bs.batches.Load()-b0, bs.hashes.Load()-h0; s != 0 || b != 1 || h != 2 {
			t.Errorf("look-ups: %d single, %d batch with %d hashes; want 0, 1, 2", s, b, h)
		}
	}
	if err := mgr.Close(); err != nil {
		t.Fatal(err)
	}
	if used, n := touched(t, raw, target, dead); !used || n != 1 {
		t.Errorf("authorized verifies: last_used_at set = %v, verified_invalid events = %d; want true, 1", used, n)
	}
}
