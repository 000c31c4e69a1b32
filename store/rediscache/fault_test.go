package rediscache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
)

// callBound is a generous bound on any call while Redis misbehaves; the
// configured OpTimeout is 100 ms. It proves "never blocks for long", not
// speed (benchmarks do that).
const callBound = time.Second

// newFaultCache wraps next with a cache on the private server p.
func newFaultCache(t *testing.T, p *testenv.RedisProc, next store.Store, tweak func(*Options)) *Cache {
	t.Helper()
	o := testOptions("lgfault:")
	o.URL, o.OpTimeout = p.URL(), 100*time.Millisecond
	if tweak != nil {
		tweak(&o)
	}
	c, err := New(next, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// timed runs fn and fails the test if it took longer than callBound.
func timed(t *testing.T, what string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if d := time.Since(start); d > callBound {
		t.Errorf("%s took %v, want < %v", what, d, callBound)
	}
}

// expect checks one lookup (safe from any goroutine: it only uses Errorf): want nil means ErrNotFound; otherwise the token
// with want's validity.
func expect(t *testing.T, c *Cache, hash string, want *store.Token) {
	t.Helper()
	var got *store.Token
	var err error
	timed(t, "TokenByHash", func() { got, err = c.TokenByHash(context.Background(), hash) })
	switch {
	case want == nil && !errors.Is(err, store.ErrNotFound):
		t.Errorf("unknown hash: %+v, %v; want ErrNotFound", got, err)
	case want != nil && err != nil:
		t.Errorf("lookup %s: %v", want.ID, err)
	case want != nil && (got.ID != want.ID || got.Valid != want.Valid):
		t.Errorf("lookup %s: id=%s valid=%v, want valid=%v", want.ID, got.ID, got.Valid, want.Valid)
	}
}

// TestPausedRedis freezes Redis (SIGSTOP) with warm entries, then checks
// that answers stay right and quick, that a revoke during the pause is
// never reported valid by this process, and that the queued overwrite
// reaches Redis after SIGCONT.
func TestPausedRedis(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	c := newFaultCache(t, p, db, nil)
	keep, victim, unknown := create(t, c), create(t, c), unknownHash(t)
	expect(t, c, keep.Hash, keep)
	expect(t, c, victim.Hash, victim)
	expect(t, c, unknown, nil) // negative entry

	p.Pause()
	paused := true
	defer func() {
		if paused {
			p.Resume()
		}
	}()
	hammer(t, c, keep, unknown)
	if !c.Degraded() {
		t.Error("Degraded = false while Redis is paused")
	}
	var revoked *store.Token
	timed(t, "Revoke", func() { revoked = revoke(t, c, victim) })
	if c.Pending() == 0 {
		t.Fatal("the revoke's overwrite should be queued while Redis is paused")
	}
	born := create(t, c) // created during the pause: must be found
	for range 5 {
		expect(t, c, victim.Hash, revoked)
		expect(t, c, born.Hash, born)
		expect(t, c, keep.Hash, keep)
	}

	p.Resume()
	paused = false
	waitFor(t, "queue drained", func() bool {
		expect(t, c, victim.Hash, revoked) // never valid, at any point
		return c.Pending() == 0
	})
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr()})
	defer func() { _ = rdb.Close() }()
	if cachedValid(t, rdb, "lgfault:", victim.Hash) || rawEntry(t, rdb, "lgfault:", victim.Hash) == "" {
		t.Errorf("after recovery the entry should say revoked: %q", rawEntry(t, rdb, "lgfault:", victim.Hash))
	}
	if !cachedValid(t, rdb, "lgfault:", born.Hash) {
		t.Errorf("token created during the pause not cached after recovery")
	}
	other := newFaultCache(t, p, db, nil) // another process sharing Redis
	expect(t, other, victim.Hash, revoked)
}

// hammer runs concurrent lookups against a misbehaving Redis: every one
// must be right and return within callBound.
func hammer(t *testing.T, c *Cache, known *store.Token, unknown string) {
	t.Helper()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				expect(t, c, known.Hash, known)
				expect(t, c, unknown, nil)
				timed(t, "TokenByID", func() {
					if got, err := c.TokenByID(context.Background(), known.ID); err != nil || got.ID != known.ID {
						t.Errorf("TokenByID: %+v, %v", got, err)
					}
				})
			}
		})
	}
	wg.Wait()
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKilledRedisRecovers kills Redis (SIGKILL), checks answers while it is
// gone, then starts an empty one on the same port and checks the cache
// comes back by itself.
func TestKilledRedisRecovers(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	c := newFaultCache(t, p, db, nil)
	tok, unknown := create(t, c), unknownHash(t)
	expect(t, c, tok.Hash, tok)

	p.Kill()
	hammer(t, c, tok, unknown)
	var revoked *store.Token
	timed(t, "Revoke", func() { revoked = revoke(t, c, tok) })
	expect(t, c, tok.Hash, revoked)
	born := create(t, c)
	expect(t, c, born.Hash, born)
	if err := c.Ping(context.Background()); err != nil {
		t.Errorf("store Ping = %v while only Redis is down", err)
	}
	if err := c.RedisPing(context.Background()); err == nil {
		t.Error("RedisPing = nil while Redis is down")
	}

	p.Restart()
	waitFor(t, "recovery", func() bool {
		expect(t, c, tok.Hash, revoked)
		expect(t, c, born.Hash, born)
		return !c.Degraded() && c.Pending() == 0
	})
	if err := c.RedisPing(context.Background()); err != nil {
		t.Errorf("RedisPing after restart: %v", err)
	}
	// Caching works again: a new token is served from Redis after one fill.
	fresh := create(t, db)
	waitFor(t, "a cache hit after recovery", func() bool {
		expect(t, c, fresh.Hash, fresh)
		reads := db.hashReads.Load()
		expect(t, c, fresh.Hash, fresh)
		return db.hashReads.Load() == reads
	})
}

// TestRevokeDuringPauseOtherProcessBound: process 1 revokes while Redis is
// paused and dies before it can rewrite the entry (its retry queue is
// memory only); process 2 had the token cached as valid. Process 2 may see
// the stale entry, but never for longer than TTL after the revoke.
func TestRevokeDuringPauseOtherProcessBound(t *testing.T) {
	t.Parallel()
	const ttl = 3 * time.Second
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	short := func(o *Options) { o.TTL = ttl }
	c1 := newFaultCache(t, p, db, func(o *Options) { short(o); o.Cooldown = time.Minute })
	// Process 2 never talks to the paused server; a long OpTimeout keeps a
	// loaded machine from turning its reads into database fall-throughs.
	c2 := newFaultCache(t, p, db, func(o *Options) { short(o); o.OpTimeout = time.Second })
	tok := create(t, c1)
	expect(t, c2, tok.Hash, tok) // process 2 caches "valid"

	p.Pause()
	// A failed lookup opens process 1's breaker, so the revoke's overwrite
	// is not even sent (a command sent to a paused server would still run
	// when it wakes up): the overwrite is truly lost with process 1.
	expect(t, c1, unknownHash(t), nil)
	var revoked *store.Token
	timed(t, "Revoke", func() { revoked = revoke(t, c1, tok) })
	revokedAt := time.Now()
	timed(t, "Close", func() { _ = c1.Close() }) // process 1 is gone with its queue
	p.Resume()

	slack := 500 * time.Millisecond
	var lastValid time.Duration
	for time.Since(revokedAt) < ttl+slack+time.Second {
		got, err := c2.TokenByHash(context.Background(), tok.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.Valid {
			lastValid = time.Since(revokedAt)
		}
		if got.Valid && time.Since(revokedAt) > ttl+slack {
			t.Fatalf("process 2 still reports the token valid %v after the revoke (bound %v)",
				time.Since(revokedAt), ttl)
		}
		time.Sleep(50 * time.Millisecond)
	}
	expect(t, c2, tok.Hash, revoked)
	if lastValid == 0 {
		t.Error("process 2 never saw the stale entry: the lost-overwrite path was not exercised")
	}
	t.Logf("process 2 last saw the token valid %v after the revoke (bound %v)", lastValid, ttl)
}
