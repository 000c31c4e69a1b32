package rediscache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// TestNearCacheHits: within its lease a valid token is answered in process,
// by TokenByHash and TokensByHash alike; with LocalTTL < 0 every lookup
// reaches Redis; unknown and revoked answers are never kept in process.
func TestNearCacheHits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		localTTL time.Duration
		revoked  bool
		unknown  bool
		wantMax  int64 // Redis commands for 20 look-ups after the first
		wantMin  int64
	}{
		{name: "valid, near cache on", localTTL: time.Minute, wantMax: 0},
		{name: "valid, near cache off", localTTL: -1, wantMin: 20, wantMax: 20},
		{name: "revoked is not kept", localTTL: time.Minute, revoked: true, wantMin: 20, wantMax: 20},
		{name: "unknown is not kept", localTTL: time.Minute, unknown: true, wantMin: 20, wantMax: 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newMemStore()
			c, _, _ := newSharedCache(t, db, func(o *Options) { o.LocalTTL = tc.localTTL })
			ctx := context.Background()
			tok := create(t, c)
			if tc.revoked {
				// Revoke through another cache (no near cache, no wait) so
				// this test does not sleep a minute of commit wait.
				other, err := New(db, Options{Client: c.rdb, Prefix: c.keys.prefix, LocalTTL: -1})
				if err != nil {
					t.Fatal(err)
				}
				revoke(t, other, tok)
			}
			hash := tok.Hash
			if tc.unknown {
				other, _ := newToken(t)
				hash = other.Hash
			}
			lookup := func(i int) {
				var got *store.Token
				var err error
				if i%2 == 0 {
					got, err = c.TokenByHash(ctx, hash)
				} else {
					toks, errs := c.TokensByHash(ctx, []string{hash})
					got, err = toks[0], errs[0]
				}
				switch {
				case tc.unknown:
					if !errors.Is(err, store.ErrNotFound) {
						t.Fatalf("lookup %d: %+v, %v; want not found", i, got, err)
					}
				case err != nil || got.ID != tok.ID || got.Valid == tc.revoked:
					t.Fatalf("lookup %d: %+v, %v; want %s valid=%v", i, got, err, tok.ID, !tc.revoked)
				}
			}
			lookup(1) // fills the near cache, if it keeps anything
			counter := &cmdCounter{}
			c.rdb.AddHook(counter)
			for i := range 20 {
				lookup(i)
			}
			if n := counter.n.Load(); n < tc.wantMin || n > tc.wantMax {
				t.Errorf("%d Redis commands for 20 look-ups; want %d..%d", n, tc.wantMin, tc.wantMax)
			}
		})
	}
}

// TestNearCacheNoStaleValidAfterRevoke is the cross-process rule: "b" (another
// process: its own Cache over the same database and Redis prefix) verifies a
// token in a tight loop from several goroutines, keeping it in its near
// cache, while "a" revokes it. No look-up in b that started after a's Revoke
// returned may report the token valid. Run with Revoke's own commit wait and
// with DeferSettle + Settle (the batch form).
func TestNearCacheNoStaleValidAfterRevoke(t *testing.T) {
	t.Parallel()
	for _, deferred := range []bool{false, true} {
		name := map[bool]string{false: "revoke waits", true: "deferred then settle"}[deferred]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newMemStore()
			a, _, prefix := newSharedCache(t, db, nil) // default LocalTTL
			b, err := New(db, func() Options { o := testOptions(prefix); o.Client = a.rdb; return o }())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			tok := create(t, a)

			var (
				done      atomic.Bool
				returned  atomic.Int64 // a's Revoke (or Settle) return, UnixNano; 0 before
				stale     atomic.Int64 // valid answers that started after it
				validSeen atomic.Int64
				wg        sync.WaitGroup
			)
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; !done.Load(); i++ {
						after := returned.Load()
						var got *store.Token
						var err error
						if (g+i)%2 == 0 {
							got, err = b.TokenByHash(ctx, tok.Hash)
						} else {
							toks, errs := b.TokensByHash(ctx, []string{tok.Hash})
							got, err = toks[0], errs[0]
						}
						if err != nil {
							t.Errorf("lookup: %v", err)
							return
						}
						if got.Valid {
							validSeen.Add(1)
							if after != 0 {
								stale.Add(1)
							}
						}
					}
				}()
			}
			time.Sleep(200 * time.Millisecond) // b is hot: its near cache answers
			_, already, err := a.Revoke(ctx, store.RevokeRequest{Hash: tok.Hash, Reason: "leaked in test", Actor: "tester", DeferSettle: deferred})
			if err != nil || already {
				t.Fatalf("Revoke: already=%v err=%v", already, err)
			}
			if deferred {
				if err := a.Settle(ctx); err != nil {
					t.Fatalf("Settle: %v", err)
				}
			}
			returned.Store(time.Now().UnixNano())
			time.Sleep(200 * time.Millisecond)
			done.Store(true)
			wg.Wait()
			if validSeen.Load() == 0 {
				t.Fatal("b never saw the token valid before the revocation; the test proves nothing")
			}
			if n := stale.Load(); n != 0 {
				t.Errorf("%d look-ups that started after Revoke returned reported the token valid", n)
			}
		})
	}
}

// TestSettleWithoutRevocations returns at once and honours its context.
func TestSettleWithoutRevocations(t *testing.T) {
	t.Parallel()
	n := nearCache{ttl: time.Hour}
	if err := n.settle(context.Background()); err != nil {
		t.Fatalf("settle with nothing deferred: %v", err)
	}
	n.commitWait(true) // defers an hour
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := n.settle(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("settle with an hour deferred and a 10 ms context: %v", err)
	}
	off := nearCache{ttl: -1}
	off.commitWait(false) // no near cache: no wait, nothing kept
	off.put("h", &store.Token{Hash: "h", Valid: true}, time.Now())
	if _, ok := off.get("h"); ok {
		t.Fatal("disabled near cache kept an entry")
	}
}
