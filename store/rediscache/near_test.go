package rediscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
)

// waitTrusted waits until c's near cache is trusted (its channel proved
// live), for up to 10 s.
func waitTrusted(t testing.TB, c *Cache) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !c.near.trusted(c.near.now()) {
		if time.Now().After(deadline) {
			t.Fatal("near cache never trusted: the invalidation channel did not prove live")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNearCacheHits: once trusted, a valid token is answered in process,
// by TokenByHash and TokensByHash alike; with LocalTTL < 0 every lookup
// reaches Redis; unknown and revoked answers are never kept in process.
func TestNearCacheHits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		localTTL time.Duration
		revoked  bool
		unknown  bool
		wantMax  int64 // Redis reads (GET, MGET) for 20 look-ups after the first
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
			db := newTestDB(t)
			// A long hedge: on a loaded machine a hedged lookup would skip
			// its fill and change the count this test asserts; a long
			// lease keeps the near cache trusted throughout.
			c, _, _ := newSharedCache(t, db, func(o *Options) {
				o.LocalTTL, o.HedgeAfter, o.OpTimeout, o.ChannelLease = tc.localTTL, 5*time.Second, 5*time.Second, 10*time.Second
			})
			if c.near.on() {
				waitTrusted(t, c)
			}
			ctx := context.Background()
			tok := create(t, c)
			if tc.revoked {
				revoke(t, c, tok)
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
			if n := counter.reads.Load(); n < tc.wantMin || n > tc.wantMax {
				t.Errorf("%d Redis reads for 20 look-ups; want %d..%d", n, tc.wantMin, tc.wantMax)
			}
		})
	}
}

// testHash is a well-formed hash for unit tests of the near cache.
func testHash(i int) string {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])
}

// trustedNear returns a near cache that is trusted for an hour.
func trustedNear(maxAge time.Duration, size int) *nearCache {
	n := newNearCache(maxAge, size, time.Hour)
	now := n.now() + 1
	n.extend(&n.pongUntil, now)
	n.extend(&n.memberUntil, now)
	return n
}

// TestNearCacheUnit: the near cache's own rules, without Redis.
func TestNearCacheUnit(t *testing.T) {
	t.Parallel()
	tok := func(h string, valid bool) *store.Token {
		return &store.Token{ID: "tok_" + h[:8], Hash: h, Valid: valid}
	}
	t.Run("bounded, least recently used out", func(t *testing.T) {
		t.Parallel()
		n := trustedNear(time.Hour, 2)
		var same []string // hashes of one shard
		for i := 0; len(same) < 3; i++ {
			if h := testHash(i); n.shard(h) == n.shard(testHash(0)) {
				same = append(same, h)
			}
		}
		put := func(h string) { n.put(h, tok(h, true), n.ticket()) }
		put(same[0])
		put(same[1])
		if _, ok := n.get(same[0]); !ok { // same[0] is now the most recent
			t.Fatal("miss right after put")
		}
		put(same[2])
		if _, ok := n.get(same[1]); ok {
			t.Error("the least recently used entry was kept over the bound")
		}
		for _, h := range []string{same[0], same[2]} {
			if _, ok := n.get(h); !ok {
				t.Errorf("recent entry %s evicted", h[:8])
			}
		}
		big := trustedNear(time.Hour, 1000)
		for i := range 100000 {
			h := testHash(i)
			big.put(h, tok(h, true), big.ticket())
		}
		// A full cache evicts from the shard it inserts into; only an
		// insert into an empty shard goes over.
		if got := big.len(); got < 1000 || got > 1000+nearShards {
			t.Errorf("%d entries held, bound 1000 (+%d)", got, nearShards)
		}
	})
	t.Run("a copy is the token, field for field", func(t *testing.T) {
		t.Parallel()
		n := trustedNear(time.Hour, 100)
		h := testHash(7)
		at := func(s int64) *time.Time { v := time.Unix(1800000000+s, 123456000).UTC(); return &v }
		in := &store.Token{ID: "tok_0123", Hash: h, Type: "service", FormatID: "leakguard-service", Owner: "bob@example.org",
			Name: "ci é", Last4: "Ab9z", CreatedAt: *at(0), ExpiresAt: at(90), LastUsedAt: at(5), Valid: true,
			Scopes: []string{"deploy:prod", "read"}, Replaces: "tok_old", ReplacedBy: ""}
		for _, want := range []*store.Token{in, {ID: "tok_x", Hash: h, Type: "user", Owner: "o", CreatedAt: *at(1), Valid: true}} {
			n.put(h, want, n.ticket())
			got, ok := n.get(h)
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("near copy = %+v, want %+v", got, want)
			}
		}
		later := time.Unix(1800000100, 0)
		n.touched(h, later)
		if got, _ := n.get(h); got.LastUsedAt == nil || !got.LastUsedAt.Equal(later) || got.ID != "tok_x" {
			t.Errorf("after touched: %+v", got)
		}
	})
	t.Run("encoding: zones, empty scopes, long fields, a compacted arena", func(t *testing.T) {
		t.Parallel()
		n := trustedNear(time.Hour, 100000)
		zone := time.FixedZone("", -7*3600)
		created := time.Unix(1800000000, 5).In(zone)
		var want []*store.Token
		for i := range 300 {
			h := testHash(1000 + i)
			tk := &store.Token{ID: fmt.Sprintf("tok_%d", i), Hash: h, Type: "user", Owner: strings.Repeat("o", i*20),
				Name: "n", CreatedAt: created, Valid: true, Scopes: []string{}}
			if i%2 == 0 {
				tk.Scopes = nil
			}
			want = append(want, tk)
		}
		// Every token put ten times: most of each shard's arena is garbage
		// by the end, and compacted along the way.
		for range 10 {
			for _, tk := range want {
				n.put(tk.Hash, tk, n.ticket())
			}
		}
		for _, tk := range want {
			got, ok := n.get(tk.Hash)
			if !ok || got.ID != tk.ID || got.Owner != tk.Owner || !got.CreatedAt.Equal(created) ||
				got.CreatedAt.Format(time.RFC3339Nano) != created.Format(time.RFC3339Nano) ||
				(got.Scopes == nil) != (tk.Scopes == nil) || len(got.Scopes) != 0 {
				t.Fatalf("near copy = %+v, want %+v", got, tk)
			}
		}
		if n.len() != len(want) {
			t.Errorf("%d entries held, want %d", n.len(), len(want))
		}
	})
	t.Run("entries age out", func(t *testing.T) {
		t.Parallel()
		n := trustedNear(30*time.Millisecond, 100)
		h := testHash(1)
		n.put(h, tok(h, true), n.ticket())
		if _, ok := n.get(h); !ok {
			t.Fatal("miss right after put")
		}
		time.Sleep(40 * time.Millisecond)
		if _, ok := n.get(h); ok {
			t.Error("entry answered past LocalTTL")
		}
	})
	t.Run("reads racing an invalidation or reset are not kept", func(t *testing.T) {
		t.Parallel()
		n := trustedNear(time.Hour, 100)
		h := testHash(1)
		tk := n.ticket()
		n.invalidate(testHash(2)) // any invalidation
		n.put(h, tok(h, true), tk)
		if _, ok := n.get(h); ok {
			t.Error("a read that started before an invalidation was kept")
		}
		tk = n.ticket()
		n.put(h, tok(h, true), tk)
		n.reset()
		n.extend(&n.pongUntil, tk.at) // sent before the reset: ignored
		n.extend(&n.memberUntil, tk.at)
		if n.trusted(n.now()) {
			t.Error("trust extended by a proof sent before the reset")
		}
		now := n.now() + 1
		n.extend(&n.pongUntil, now)
		n.extend(&n.memberUntil, now)
		if _, ok := n.get(h); ok || n.len() != 0 {
			t.Error("an entry survived the reset")
		}
	})
	t.Run("only valid tokens, only while trusted", func(t *testing.T) {
		t.Parallel()
		n := trustedNear(time.Hour, 100)
		h, r := testHash(1), testHash(2)
		n.put(r, tok(r, false), n.ticket())
		if _, ok := n.get(r); ok {
			t.Error("a revoked token was kept")
		}
		n.put(h, tok(h, true), n.ticket())
		n.pongUntil.Store(0) // the channel's proof lapsed
		if _, ok := n.get(h); ok {
			t.Error("answered while untrusted")
		}
		n.extend(&n.pongUntil, n.now()+1) // proved again, nothing lost: the entry stands
		if _, ok := n.get(h); !ok {
			t.Error("entry lost although no reset happened")
		}
		off := newNearCache(-1, 100, time.Hour)
		off.put(h, tok(h, true), off.ticket())
		if _, ok := off.get(h); ok {
			t.Error("a disabled near cache answered")
		}
	})
}

// TestNearCacheNoStaleValidAfterRevoke is the cross-process rule: "b" (another
// process: its own Cache over the same database and Redis prefix) verifies a
// token in a tight loop from several goroutines, keeping it in its near
// cache, while "a" revokes it. No look-up in b that started after a's Revoke
// returned may report the token valid. Run with Revoke's own wait and with
// DeferSettle + Settle (the batch form).
func TestNearCacheNoStaleValidAfterRevoke(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		deferred   bool
		bWithRedis bool // else b cannot reach Redis: it reads the database
		// second: a third process revokes the token while a is in its
		// wait; its Revoke (already revoked) is the one timed.
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
			a, _, prefix := newSharedCache(t, db, nil)
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
			if tc.bWithRedis {
				waitTrusted(t, b)
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
				wg.Go(func() {
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
				})
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
				for { // until a's revocation is committed (a is now writing or waiting)
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
	c, _, _ := newSharedCache(t, newTestDB(t), func(o *Options) { o.ChannelLease = time.Hour })
	start := time.Now()
	if err := c.Settle(context.Background()); err != nil || time.Since(start) > time.Second {
		t.Fatalf("settle with nothing deferred: %v after %v", err, time.Since(start))
	}
	c.ch.later(c.ch.blind()) // a revocation that could not be pushed: waits the lease (an hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.Settle(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("settle with an hour deferred and a 10 ms context: %v", err)
	}
	if len(c.ch.deferred) != 1 {
		t.Errorf("%d deferred waits kept after a cut-short settle, want 1", len(c.ch.deferred))
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

// TestNearCacheOffWhileRedisDown: with Redis unreachable the invalidation
// channel cannot prove itself live, so the near cache never answers: every
// lookup reads the database (the defined behaviour of a lost channel).
func TestNearCacheOffWhileRedisDown(t *testing.T) {
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
	t.Cleanup(func() { _ = c.Close() })
	tok, _ := newToken(t)
	if err := db.CreateToken(context.Background(), tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * c.opt.ChannelLease)
	for i := range 20 {
		got, errs := c.TokensByHash(context.Background(), []string{tok.Hash})
		if errs[0] != nil || got[0].ID != tok.ID {
			t.Fatalf("lookup %d: %+v, %v", i, got[0], errs[0])
		}
	}
	if n := db.hashReads.Load(); n != 20 {
		t.Errorf("%d database reads for 20 look-ups; want 20 (no near cache without a live channel)", n)
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
