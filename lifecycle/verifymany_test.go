package lifecycle

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// batchStore adds store.BatchGetter to testStore and counts batch calls.
type batchStore struct {
	*testStore
	batches atomic.Int64
	hashes  atomic.Int64 // hashes asked in batches
}

func (b *batchStore) TokensByHash(ctx context.Context, hashes []string) ([]*store.Token, []error) {
	b.batches.Add(1)
	b.hashes.Add(int64(len(hashes)))
	toks, errs := make([]*store.Token, len(hashes)), make([]error, len(hashes))
	for i, h := range hashes {
		toks[i], errs[i] = b.testStore.TokenByHash(ctx, h)
	}
	return toks, errs
}

// manyFixture issues one token of each state and returns them with an
// unknown and two malformed secrets.
func manyFixture(t *testing.T, f *fixture) (names []string, secrets []patterns.Secret) {
	t.Helper()
	live, short, dead := f.issue(t, "30d"), f.issue(t, "1s"), f.issue(t, "30d")
	if _, _, err := f.m.Revoke(context.Background(), RevokeRequest{ID: dead.Token.ID, Reason: "leaked", Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(2 * time.Second)
	userFmt, _ := f.m.Catalog().Issued(patterns.TypeUser)
	unknown := userFmt.WithChecksum("lgu_", strings.Repeat("B", 30))
	bad := live.Secret.Reveal()
	bad = bad[:len(bad)-1] + map[bool]string{true: "A", false: "B"}[bad[len(bad)-1] != 'A']
	return []string{"valid", "expired", "revoked", "unknown", "bad checksum", "empty", "valid again"},
		[]patterns.Secret{live.Secret, short.Secret, dead.Secret, patterns.NewSecret(unknown),
			patterns.NewSecret(bad), patterns.NewSecret(""), live.Secret}
}

// TestVerifyManyMatchesVerify: every VerifyMany answer is Verify's, with
// one batch call when the store can batch (malformed secrets never reach
// it) and per-hash look-ups when it cannot.
func TestVerifyManyMatchesVerify(t *testing.T) {
	t.Parallel()
	for _, batching := range []bool{false, true} {
		t.Run(map[bool]string{false: "per-hash", true: "batch"}[batching], func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t, DefaultPolicy())
			bs := &batchStore{testStore: f.st}
			if batching {
				f.m = New(bs, patterns.Default(), Options{Now: f.clk.Now})
				t.Cleanup(func() { _ = f.m.Close() })
			}
			names, secrets := manyFixture(t, f)
			vs, errs := f.m.VerifyMany(ctx, secrets...)
			if len(vs) != len(secrets) || len(errs) != len(secrets) {
				t.Fatalf("got %d results and %d errors for %d secrets", len(vs), len(errs), len(secrets))
			}
			if batching {
				if b, h := bs.batches.Load(), bs.hashes.Load(); b != 1 || h != 5 {
					t.Errorf("batch calls = %d with %d hashes, want 1 with 5 (malformed ones rejected first)", b, h)
				}
			}
			for i, s := range secrets {
				v, err := f.m.Verify(ctx, s)
				if !errors.Is(errs[i], err) || (err == nil) != (errs[i] == nil) {
					t.Errorf("%s: VerifyMany err %v, Verify err %v", names[i], errs[i], err)
				}
				if vs[i].Valid != v.Valid || vs[i].Message != v.Message || (vs[i].Token == nil) != (v.Token == nil) ||
					(v.Token != nil && vs[i].Token.ID != v.Token.ID) {
					t.Errorf("%s: VerifyMany %v %q, Verify %v %q", names[i], vs[i].Valid, vs[i].Message, v.Valid, v.Message)
				}
			}
		})
	}
}

// TestLookupManyHasNoSideEffects: LookupMany writes nothing (no
// last_used_at, no verified_invalid event) until the caller Observes.
func TestLookupManyHasNoSideEffects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, DefaultPolicy())
	live, dead := f.issue(t, "30d"), f.issue(t, "30d")
	if _, _, err := f.m.Revoke(ctx, RevokeRequest{ID: dead.Token.ID, Reason: "leaked", Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	vs, errs := f.m.LookupMany(ctx, live.Secret, dead.Secret)
	if errs[0] != nil || errs[1] != nil || !vs[0].Valid || vs[1].Valid {
		t.Fatalf("LookupMany = %+v, %v", vs, errs)
	}
	if err := f.m.Close(); err != nil { // flushes background writes
		t.Fatal(err)
	}
	if used, n := sideEffects(t, f, live.Token.ID, dead.Token.ID); used || n != 0 {
		t.Fatalf("after LookupMany: last_used_at set = %v, verified_invalid events = %d; want none", used, n)
	}

	g := &fixture{st: f.st, clk: f.clk, m: New(f.st, patterns.Default(), Options{Now: f.clk.Now})}
	vs, _ = g.m.LookupMany(ctx, live.Secret, dead.Secret)
	g.m.Observe(vs[0])
	g.m.Observe(vs[1])
	if err := g.m.Close(); err != nil {
		t.Fatal(err)
	}
	if used, n := sideEffects(t, g, live.Token.ID, dead.Token.ID); !used || n != 1 {
		t.Errorf("after Observe: last_used_at set = %v, verified_invalid events = %d; want true, 1", used, n)
	}
}

// sideEffects reports whether live's last_used_at is set and how many
// verified_invalid events dead has.
func sideEffects(t *testing.T, f *fixture, live, dead string) (bool, int) {
	t.Helper()
	ctx := context.Background()
	tok, err := f.st.TokenByID(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := f.st.Events(ctx, dead)
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
