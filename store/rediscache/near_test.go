package rediscache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/testenv"
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
		{name: "valid, near cache on", localTTL: MaxLocalTTL, wantMax: 0},
		{name: "valid, near cache off", localTTL: -1, wantMin: 20, wantMax: 20},
		{name: "revoked is not kept", localTTL: MaxLocalTTL, revoked: true, wantMin: 20, wantMax: 20},
		{name: "unknown is not kept", localTTL: MaxLocalTTL, unknown: true, wantMin: 20, wantMax: 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			// A long hedge: on a loaded machine a hedged lookup would skip
			// its fill and change the command count this test asserts.
			c, _, _ := newSharedCache(t, db, func(o *Options) {
				o.LocalTTL, o.HedgeAfter, o.OpTimeout = tc.localTTL, 5*time.Second, 5*time.Second
			})
			if c.near.on() {
				c.near.ttl = time.Minute // longer than the test, so no lease ends mid-way
			}
			ctx := context.Background()
			tok := create(t, c)
			if tc.revoked {
				// Revoke through another cache (its commit wait is
				// MaxLocalTTL) so this test does not sleep a minute.
				// A generous OpTimeout, and Close before counting: a queued
				// retry of its overwrite must not land in the count.
				other, err := New(db, Options{Client: c.rdb, Prefix: c.keys.prefix, LocalTTL: -1, OpTimeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				revoke(t, other, tok)
				if err := other.Close(); err != nil {
					t.Fatal(err)
				}
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
	cases := []struct {
		name       string
		deferred   bool
		bWithRedis bool // else b cannot reach Redis: it reads the database
		// second: a third process revokes the token while a is in its
		// commit wait; its Revoke (already revoked) is the one timed.
		second bool
	}{
		{"revoke waits", false, true, false},
		{"deferred then settle", true, true, false},
		{"b without redis reads the database", false, false, false},
		{"already revoked elsewhere a moment ago", false, true, true},
	}
	for _, tc := range cases {
		deferred := tc.deferred
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			a, _, prefix := newSharedCache(t, db, nil) // default LocalTTL
			o := testOptions(prefix)
			if tc.bWithRedis {
				o.Client = a.rdb
			} else {
				o.URL = "redis://127.0.0.1:1/0" // nothing listens: every lookup falls through
			}
			b, err := New(db, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
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
			req := store.RevokeRequest{Hash: tok.Hash, Reason: "leaked in test", Actor: "tester", DeferSettle: deferred}
			if tc.second {
				a2, err := New(db, func() Options { o := testOptions(prefix); o.Client = a.rdb; return o }())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = a2.Close() })
				first := make(chan error, 1)
				go func() { _, _, err := a.Revoke(ctx, req); first <- err }()
				for { // until a's revocation is committed (a is now in its wait)
					if cur, err := db.TokenByHash(ctx, tok.Hash); err == nil && !cur.Valid {
						break
					}
					time.Sleep(100 * time.Microsecond)
				}
				_, already, err := a2.Revoke(ctx, req)
				if err != nil || !already {
					t.Fatalf("second Revoke: already=%v err=%v", already, err)
				}
				returned.Store(time.Now().UnixNano())
				if err := <-first; err != nil {
					t.Fatalf("first Revoke: %v", err)
				}
			} else {
				_, already, err := a.Revoke(ctx, req)
				if err != nil || already {
					t.Fatalf("Revoke: already=%v err=%v", already, err)
				}
				if deferred {
					if err := a.Settle(ctx); err != nil {
						t.Fatalf("Settle: %v", err)
					}
				}
				returned.Store(time.Now().UnixNano())
			}
			time.Sleep(200 * time.Millisecond)
			done.Store(true)
			wg.Wait()
			if validSeen.Load() == 0 {
				t.Fatal("b never saw the token valid before the revocation; the test proves nothing")
			}
			t.Logf("valid seen %d, stale %d", validSeen.Load(), stale.Load())
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
	off.commitWait(true) // no near cache here, but others may have one: still waits (deferred)
	if off.settleUntil.IsZero() {
		t.Fatal("a cache without a near cache recorded no commit wait")
	}
	off.put("h", &store.Token{Hash: "h", Valid: true}, time.Now())
	if _, ok := off.get("h"); ok {
		t.Fatal("disabled near cache kept an entry")
	}
}

// TestHedgeOnPausedRedis: a lookup waiting for an MGET to a paused Redis
// reads the database after HedgeAfter instead of waiting out OpTimeout,
// and the answer is right.
func TestHedgeOnPausedRedis(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	c := newFaultCache(t, p, db, func(o *Options) {
		o.OpTimeout, o.Cooldown, o.HedgeAfter, o.LocalTTL = 5*time.Second, time.Minute, 20*time.Millisecond, -1
	})
	tok := create(t, c)
	p.Pause()
	defer p.Resume()
	for i := range 3 {
		start := time.Now()
		got, errs := c.TokensByHash(context.Background(), []string{tok.Hash})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("lookup %d took %v with OpTimeout 5s; want about HedgeAfter (20ms)", i, d)
		}
		if errs[0] != nil || got[0].ID != tok.ID || !got[0].Valid {
			t.Errorf("lookup %d: %+v, %v", i, got[0], errs[0])
		}
	}
}

// TestNearCacheKeepsDatabaseReads: while Redis cannot answer, a valid
// token read from the database serves its lease from memory, so a hot
// token does not hit the database on every request.
func TestNearCacheKeepsDatabaseReads(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	c, err := New(db, func() Options {
		o := testOptions("lgnear:")
		o.URL, o.OpTimeout, o.Cooldown = "redis://127.0.0.1:1/0", 50*time.Millisecond, time.Minute
		return o
	}())
	if err != nil {
		t.Fatal(err)
	}
	c.near.ttl = time.Minute // longer than the test
	t.Cleanup(func() { _ = c.Close() })
	tok, _ := newToken(t)
	if err := db.CreateToken(context.Background(), tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		got, errs := c.TokensByHash(context.Background(), []string{tok.Hash})
		if errs[0] != nil || got[0].ID != tok.ID {
			t.Fatalf("lookup %d: %+v, %v", i, got[0], errs[0])
		}
	}
	if n := db.hashReads.Load(); n != 1 {
		t.Errorf("%d database reads for 20 look-ups of a valid token; want 1", n)
	}
}

// TestHedgedRequestsAreNotSent: callers that gave up waiting for a slow
// MGET (hedged, or their context ended) are dropped from the queue, so a
// backlog of abandoned look-ups is never sent to Redis once it answers.
func TestHedgedRequestsAreNotSent(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	c := newFaultCache(t, p, db, func(o *Options) {
		o.OpTimeout, o.Cooldown, o.HedgeAfter, o.LocalTTL = 2*time.Second, time.Minute, 20*time.Millisecond, -1
	})
	tok := create(t, c)
	keys := &cmdCounter{}
	c.rdb.AddHook(keys)
	p.Pause()
	// One look-up first, so that its MGET is in flight (to the paused
	// server) and the next ones queue behind it rather than go out with it.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = c.TokensByHash(context.Background(), []string{tok.Hash})
	}()
	for keys.mgets.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, errs := c.TokensByHash(context.Background(), []string{tok.Hash})
			if errs[0] != nil || got[0].ID != tok.ID {
				t.Errorf("hedged lookup: %+v, %v", got[0], errs[0])
			}
		}()
	}
	wg.Wait() // every one hedged to the database
	p.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for { // the coalescer drains: the in-flight MGET ends, the abandoned are dropped
		c.co.mu.Lock()
		idle := !c.co.running && len(c.co.pending) == 0
		c.co.mu.Unlock()
		if idle || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := keys.maxMGET.Load(); n > 1 {
		t.Errorf("an MGET of %d keys was sent; the abandoned look-ups should have been dropped", n)
	}
}
