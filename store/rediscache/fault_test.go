package rediscache

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/sqlite"
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

// TestRevocationBoundWhateverRedisDoes: process A revokes a token that
// process B holds warm (in its near cache and in Redis) while Redis
// misbehaves — paused, killed, restarted empty, or reachable by B but not
// by A — and, where that loses A's overwrite, A dies with its retry queue.
// B must refuse the token within 2 s of A's Revoke being called, and
// never report it valid again, also after Redis recovers: the database's
// revocation log reaches B whatever Redis does. Over SQLite and
// PostgreSQL, each process with its own connection to the database.
func TestRevocationBoundWhateverRedisDoes(t *testing.T) {
	t.Parallel()
	const bound = 2 * time.Second
	type env struct {
		p  *testenv.RedisProc
		px *testenv.TCPProxy // A's way to Redis
		a  *Cache
	}
	faults := []struct {
		name   string
		before func(e env) // the fault, before A revokes
		during func(e env) // right after A's Revoke returned
		after  func(e env) // recovery, once the bound is checked
		aDies  bool        // A closes after revoking: its queued overwrite is lost
	}{
		{name: "paused", aDies: true,
			before: func(e env) {
				e.p.Pause()
				_, _ = e.a.TokenByHash(context.Background(), unknownHash(t)) // opens A's breaker: nothing more is sent
			},
			after: func(e env) { e.p.Resume() }},
		{name: "killed", aDies: true,
			before: func(e env) { e.p.Kill() },
			after:  func(e env) { e.p.Restart() }},
		{name: "restarted empty", aDies: true,
			before: func(e env) { e.p.Kill() },
			during: func(e env) { e.p.Restart() }},
		{name: "partitioned from A, connections cut",
			before: func(e env) { e.px.Cut() },
			after:  func(e env) { e.px.Restore() }},
		{name: "partitioned from A, packets dropped",
			before: func(e env) { e.px.Drop() },
			after:  func(e env) { e.px.Restore() }},
	}
	stores := []struct {
		name string
		open func(t *testing.T) (a, b store.Store) // two processes' handles on one database
	}{
		{"sqlite", func(t *testing.T) (store.Store, store.Store) {
			path := filepath.Join(t.TempDir(), "lg.db")
			return openSQLiteAt(t, path), openSQLiteAt(t, path)
		}},
		{"postgres", func(t *testing.T) (store.Store, store.Store) {
			dsn, schema := testenv.PostgresSchema(t)
			return openPostgresIn(t, dsn, schema), openPostgresIn(t, dsn, schema)
		}},
	}
	for _, st := range stores {
		for _, f := range faults {
			t.Run(st.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				p := testenv.RedisServer(t)
				px := testenv.NewTCPProxy(t, p.Addr())
				dbA, dbB := st.open(t)
				opts := func(url string) Options { // production timings
					return Options{URL: url, Prefix: "lgbound:", Logger: zerolog.Nop(), Cooldown: time.Minute}
				}
				a, err := New(dbA, opts("redis://"+px.Addr()+"/0"))
				if err != nil {
					t.Fatal(err)
				}
				aClosed := false
				t.Cleanup(func() {
					if !aClosed {
						_ = a.Close()
					}
				})
				o := opts(p.URL())
				o.Cooldown = 0
				b, err := New(dbB, o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = b.Close() })
				tok := create(t, a)
				waitTrusted(t, b)
				for range 3 { // warm: in Redis and in B's near cache
					expect(t, b, tok.Hash, tok)
				}
				if _, ok := b.near.get(tok.Hash); !ok {
					t.Fatal("B does not hold the token in its near cache; the test would prove less")
				}

				e := env{p: p, px: px, a: a}
				f.before(e)
				var revoked *store.Token
				start := time.Now()
				revoked = revoke(t, a, tok)
				returned := time.Now()
				if f.aDies {
					aClosed = true
					_ = a.Close()
				}
				if f.during != nil {
					f.during(e)
				}
				refused := watchRefusal(t, b, tok, start, bound+time.Second)
				if f.after != nil {
					f.after(e)
				}
				watchRefusal(t, b, tok, time.Now(), 1500*time.Millisecond) // after recovery too
				if refused < 0 || refused > bound {
					t.Errorf("B refused the token %v after A's Revoke was called, want within %v", refused, bound)
				}
				expect(t, b, tok.Hash, revoked)
				t.Logf("A's Revoke took %v; B refused the token %v after it was called", returned.Sub(start), refused)
			})
		}
	}
}

// watchRefusal looks tok up in b every 10 ms for window and returns how
// long after since b first refused it (-1 if never; 0 if at the first
// look). Once refused, a valid answer fails the test.
func watchRefusal(t *testing.T, b *Cache, tok *store.Token, since time.Time, window time.Duration) time.Duration {
	t.Helper()
	refused := time.Duration(-1)
	for deadline := time.Now().Add(window); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got, err := b.TokenByHash(context.Background(), tok.Hash)
		if err != nil {
			t.Fatalf("B lookup: %v", err)
		}
		switch {
		case !got.Valid && refused < 0:
			refused = time.Since(since)
		case got.Valid && refused >= 0:
			t.Fatalf("B reported the token valid again %v after refusing it", time.Since(since))
		}
	}
	return refused
}

// openSQLiteAt opens (another handle on) the SQLite file at path.
func openSQLiteAt(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openPostgresIn opens a pool on schema (the caches close it).
func openPostgresIn(t *testing.T, dsn, schema string) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
