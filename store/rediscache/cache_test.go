package rediscache

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
)

func TestLookupFillsAndHits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, db) // straight into the database: the cache has not seen it

	for i := range 3 {
		got, err := c.TokenByHash(ctx, tok.Hash)
		if err != nil {
			t.Fatalf("lookup %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, tok) {
			t.Fatalf("lookup %d = %+v, want %+v", i, got, tok)
		}
	}
	if got, want := db.hashReads.Load(), int64(1); got != want {
		t.Errorf("database reads = %d, want %d (then cache hits)", got, want)
	}
	ttl := rdb.PTTL(ctx, prefix+"tok:h:"+tok.Hash).Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("valid entry TTL = %v, want within (0, TTL=1m]", ttl)
	}
}

func TestNegativeEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	h := unknownHash(t)
	for i := range 5 {
		if _, err := c.TokenByHash(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("lookup %d: err = %v, want ErrNotFound", i, err)
		}
	}
	if got, want := db.hashReads.Load(), int64(1); got != want {
		t.Errorf("database reads = %d, want %d", got, want)
	}
	ttl := rdb.PTTL(ctx, prefix+"tok:h:"+h).Val()
	if ttl <= 0 || ttl > 10*time.Second {
		t.Errorf("negative entry TTL = %v, want within (0, NegativeTTL=10s]", ttl)
	}
}

func TestCreateReplacesNegativeEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newSharedCache(t, newTestDB(t), nil)
	tok, _ := newToken(t)
	if _, err := c.TokenByHash(ctx, tok.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before create: err = %v, want ErrNotFound", err)
	}
	if err := c.CreateToken(ctx, tok, store.Event{Kind: store.EventIssued}); err != nil {
		t.Fatal(err)
	}
	got, err := c.TokenByHash(ctx, tok.Hash)
	if err != nil || !got.Valid {
		t.Fatalf("after create: %+v, %v; want the valid token", got, err)
	}
}

func TestCreateConflictWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, rdb, prefix := newSharedCache(t, newTestDB(t), nil)
	tok := create(t, c)
	other, _ := newToken(t)
	other.ID = tok.ID // same id, new hash
	if err := c.CreateToken(ctx, other, store.Event{}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if v := rawEntry(t, rdb, prefix, other.Hash); v != "" {
		t.Errorf("failed create cached %s", v)
	}
}

func TestRevokeOverwritesEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  func(tok *store.Token) store.RevokeRequest
	}{
		{"by hash", func(tok *store.Token) store.RevokeRequest { return store.RevokeRequest{Hash: tok.Hash} }},
		{"by id", func(tok *store.Token) store.RevokeRequest { return store.RevokeRequest{ID: tok.ID} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := newTestDB(t)
			c, rdb, prefix := newSharedCache(t, db, nil)
			tok := create(t, db)
			warm(t, c, tok)
			req := tt.req(tok)
			req.Reason, req.Actor = "leaked", "tester"
			if _, _, err := c.Revoke(ctx, req); err != nil {
				t.Fatal(err)
			}
			reads := db.hashReads.Load()
			assertRevoked(t, c, tok, "leaked")
			if db.hashReads.Load() != reads {
				t.Errorf("revoked state was not served from the cache")
			}
			// Another process sharing Redis sees it too.
			o := testOptions(prefix)
			o.URL = testenv.RedisURL(t)
			other, err := New(db, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = other.Close() }()
			assertRevoked(t, other, tok, "leaked")
			if ttl := rdb.PTTL(ctx, prefix+"tok:h:"+tok.Hash).Val(); ttl <= time.Minute {
				t.Errorf("invalid entry TTL = %v, want InvalidTTL (10m)", ttl)
			}
		})
	}
}

// warm caches tok by hash and by id.
func warm(t *testing.T, c *Cache, tok *store.Token) {
	t.Helper()
	ctx := context.Background()
	if got, err := c.TokenByHash(ctx, tok.Hash); err != nil || !got.Valid {
		t.Fatalf("warm by hash: %+v, %v", got, err)
	}
	if got, err := c.TokenByID(ctx, tok.ID); err != nil || !got.Valid {
		t.Fatalf("warm by id: %+v, %v", got, err)
	}
}

// assertRevoked checks that both lookups report tok revoked with reason.
func assertRevoked(t *testing.T, c store.Store, tok *store.Token, reason string) {
	t.Helper()
	ctx := context.Background()
	for name, get := range map[string]func() (*store.Token, error){
		"by hash": func() (*store.Token, error) { return c.TokenByHash(ctx, tok.Hash) },
		"by id":   func() (*store.Token, error) { return c.TokenByID(ctx, tok.ID) },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Valid || got.InvalidReason != reason {
			t.Fatalf("%s: valid=%v reason=%q, want revoked with %q", name, got.Valid, got.InvalidReason, reason)
		}
	}
}

// TestFillLosesToRevoke stops a reader between its database read (token
// valid) and its cache fill, revokes the token meanwhile, then lets the
// reader fill: its SET NX must not resurrect the valid state.
func TestFillLosesToRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, db)
	read, release := make(chan struct{}), make(chan struct{})
	db.afterRead = func(string) { close(read); <-release }
	done := make(chan *store.Token)
	go func() {
		got, _ := c.TokenByHash(ctx, tok.Hash)
		done <- got
	}()
	<-read
	db.mu.Lock()
	db.afterRead = nil
	db.mu.Unlock()
	revoke(t, c, tok)
	close(release)
	if stale := <-done; stale == nil || !stale.Valid {
		t.Fatalf("the in-flight reader should have read the pre-revoke state, got %+v", stale)
	}
	if cachedValid(t, rdb, prefix, tok.Hash) {
		t.Fatal("the late fill replaced the revoked entry")
	}
	assertRevoked(t, c, tok, "leaked in test")
}

// TestValidNeverReplacesInvalid writes a stale valid state over a revoked
// entry (a slow TouchLastUsed or CreateToken refresh): the entry stays
// revoked. An invalid state always replaces a valid one.
func TestValidNeverReplacesInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, c)
	stale := *tok
	revoke(t, c, tok)
	val, err := encodeToken(&stale)
	if err != nil {
		t.Fatal(err)
	}
	w := &write{hash: tok.Hash, id: tok.ID, value: val, ttl: time.Minute, valid: true}
	if err := c.writeEntry(ctx, w); err != nil {
		t.Fatal(err)
	}
	if cachedValid(t, rdb, prefix, tok.Hash) {
		t.Fatal("a valid state replaced the revoked entry")
	}
	assertRevoked(t, c, tok, "leaked in test")
}

func TestRevokeUnknownAndInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, rdb, prefix := newSharedCache(t, newTestDB(t), nil)
	h := unknownHash(t)
	if _, _, err := c.Revoke(ctx, store.RevokeRequest{Hash: h, Reason: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: err = %v, want ErrNotFound", err)
	}
	if _, _, err := c.Revoke(ctx, store.RevokeRequest{Hash: h}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("no reason: err = %v, want ErrInvalid", err)
	}
	if ks := dataKeys(ctx, t, rdb, prefix); len(ks) != 0 {
		t.Errorf("failed revokes wrote keys %v", ks)
	}
}

func TestRevokeTwiceReportsAlready(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newSharedCache(t, newTestDB(t), nil)
	tok := create(t, c)
	revoke(t, c, tok)
	_, already, err := c.Revoke(ctx, store.RevokeRequest{ID: tok.ID, Reason: "again"})
	if err != nil || !already {
		t.Fatalf("second revoke: already=%v err=%v, want already", already, err)
	}
	assertRevoked(t, c, tok, "leaked in test")
}

func TestExpireDueOverwritesEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, _, _ := newSharedCache(t, db, nil)
	tok, _ := newToken(t)
	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	tok.ExpiresAt = &past
	if err := c.CreateToken(ctx, tok, store.Event{}); err != nil {
		t.Fatal(err)
	}
	warm(t, c, tok)
	if ts, err := c.ExpireDue(ctx, time.Now()); err != nil || len(ts) != 1 {
		t.Fatalf("ExpireDue = %d tokens, %v", len(ts), err)
	}
	assertRevoked(t, c, tok, store.ReasonExpired)
}

func TestTouchLastUsedShowsInCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newSharedCache(t, newTestDB(t), nil)
	tok := create(t, c)
	warm(t, c, tok)
	at := time.Now().UTC().Truncate(time.Second)
	if err := c.TouchLastUsed(ctx, tok.ID, at); err != nil {
		t.Fatal(err)
	}
	got, err := c.TokenByHash(ctx, tok.Hash)
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) {
		t.Fatalf("after touch: %+v, %v; want LastUsedAt %v", got, err, at)
	}
}

// TestTouchLastUsedManyShowsInCache: a batch of touches reaches the
// database (an unknown id skipped) and shows in this process's near cache
// copies; the touched tokens' Redis entries are dropped (the next reader
// refills them), but never a revoked one.
func TestTouchLastUsedManyShowsInCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, func(o *Options) { o.ChannelLease = 10 * time.Second })
	waitTrusted(t, c)
	a, b, dead := create(t, c), create(t, c), create(t, c)
	warm(t, c, a)
	warm(t, c, b)
	revoke(t, c, dead)
	at := time.Now().UTC().Truncate(time.Second)
	err := c.TouchLastUsedMany(ctx, []store.Touch{{ID: a.ID, Hash: a.Hash, At: at},
		{ID: "tok_00000000000000000000000000000000", At: at}, {ID: b.ID, Hash: b.Hash, At: at},
		{ID: dead.ID, Hash: dead.Hash, At: at}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []*store.Token{a, b} {
		if got, err := db.TokenByID(ctx, tok.ID); err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) {
			t.Errorf("database after the batch: %+v, %v; want LastUsedAt %v", got, err, at)
		}
		got, err := c.TokenByHash(ctx, tok.Hash)
		if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) {
			t.Errorf("near cache after the batch: %+v, %v; want LastUsedAt %v", got, err, at)
		}
	}
	if v := rawEntry(t, rdb, prefix, a.Hash); v != "" {
		t.Errorf("Redis entry of a touched valid token kept: %s", v)
	}
	if v := rawEntry(t, rdb, prefix, dead.Hash); v == "" || cachedValid(t, rdb, prefix, dead.Hash) {
		t.Errorf("Redis entry of a revoked token = %q, want kept, revoked", v)
	}
}

func TestTokenByIDCachesPointer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, db)
	for range 3 {
		if got, err := c.TokenByID(ctx, tok.ID); err != nil || got.Hash != tok.Hash {
			t.Fatalf("TokenByID = %+v, %v", got, err)
		}
	}
	if db.idReads.Load() != 1 || db.hashReads.Load() != 0 {
		t.Errorf("reads: id %d hash %d, want 1 and 0", db.idReads.Load(), db.hashReads.Load())
	}
	if got := rdb.Get(ctx, prefix+"tok:i:"+tok.ID).Val(); got != tok.Hash {
		t.Errorf("pointer = %q, want the hash", got)
	}
	if _, err := c.TokenByID(ctx, "tok_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: err = %v, want ErrNotFound", err)
	}
}

// TestNonHashNeverKeyed: a lookup with something that is not a hash (a
// plaintext token passed by mistake) goes to the database and writes no key.
func TestNonHashNeverKeyed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, rdb, prefix := newSharedCache(t, newTestDB(t), nil)
	_, sec := newToken(t)
	if _, err := c.TokenByHash(ctx, sec.Reveal()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if ks := dataKeys(ctx, t, rdb, prefix); len(ks) != 0 {
		t.Errorf("keys written: %v", ks)
	}
}

func TestUnreadableEntryFallsThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, db)
	for _, junk := range []string{"not json", `{"v":4,"found":false}`, `{"v":3,"found":true}`,
		`{"v":3,"found":false,"extra":1}`, `{"v":1,"found":false}`, `{"v":2,"found":false}`} {
		rdb.Set(ctx, prefix+"tok:h:"+tok.Hash, junk, time.Minute)
		if got, err := c.TokenByHash(ctx, tok.Hash); err != nil || got.ID != tok.ID {
			t.Errorf("entry %q: %+v, %v; want the database answer", junk, got, err)
		}
	}
}

// TestEntryWithoutScopesReadsThrough: an entry an older leakguard wrote
// (version 1, no scopes), or one whose scopes are not in store form, is
// never read as "no scopes": the answer comes from the database, scopes
// and all, and the database's later state changes overwrite it.
func TestEntryWithoutScopesReadsThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, func(o *Options) { o.LocalTTL = -1 })
	tok, _ := newToken(t)
	tok.Scopes = []string{"read", "write"}
	if err := db.CreateToken(ctx, tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	v3, err := encodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(strings.Replace(string(v3), `"v":3`, `"v":2`, 1), `,"replaces":"","replaced_by":""`, "", 1)
	v1 := strings.Replace(strings.Replace(v2, `"v":2`, `"v":1`, 1), `,"scopes":["read","write"]`, "", 1)
	tests := []struct{ name, entry string }{
		{"version 1 of an older leakguard", v1},
		{"version 2 of an older leakguard (no rotation links)", v2},
		{"version 3 without scopes", strings.Replace(strings.Replace(string(v3), `,"scopes":["read","write"]`, "", 1), `"v":2`, `"v":3`, 1)},
		{"null scopes", strings.Replace(string(v3), `["read","write"]`, "null", 1)},
		{"unsorted scopes", strings.Replace(string(v3), `["read","write"]`, `["write","read"]`, 1)},
		{"bad scope", strings.Replace(string(v3), `["read","write"]`, `["read,write"]`, 1)},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.entry, `"hash":"`+tok.Hash) || tt.entry == string(v3) {
			t.Fatalf("%s: fixture not built: %s", tt.name, tt.entry)
		}
		rdb.Set(ctx, prefix+"tok:h:"+tok.Hash, tt.entry, time.Minute)
		before := db.hashReads.Load()
		got, err := c.TokenByHash(ctx, tok.Hash)
		if err != nil || fmt.Sprint(got.Scopes) != "[read write]" {
			t.Errorf("%s: TokenByHash = %+v, %v; want the database's scopes", tt.name, got, err)
		}
		if db.hashReads.Load() == before {
			t.Errorf("%s: answered from the cache, want a read through", tt.name)
		}
	}
	revoke(t, c, tok)
	if raw := rawEntry(t, rdb, prefix, tok.Hash); !strings.Contains(raw, `"v":3`) || !strings.Contains(raw, `"scopes":["read","write"]`) {
		t.Errorf("entry after revoke = %s, want version 3 with the scopes", raw)
	}
	none := create(t, c)
	if raw := rawEntry(t, rdb, prefix, none.Hash); !strings.Contains(raw, `"scopes":[]`) {
		t.Errorf("entry of a token without scopes = %s, want \"scopes\":[]", raw)
	}
	if got, err := c.TokenByHash(ctx, none.Hash); err != nil || got.Scopes != nil {
		t.Errorf("token without scopes from the cache = %+v, %v; want nil scopes", got, err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Options
	}{
		{"neither URL nor client", Options{}},
		{"both", Options{URL: "redis://127.0.0.1:1", Client: redis.NewClient(&redis.Options{})}},
		{"bad scheme", Options{URL: "http://127.0.0.1:1"}},
		{"negative TTL", Options{URL: "redis://127.0.0.1:1", TTL: -time.Second}},
		{"fill age too long", Options{URL: "redis://127.0.0.1:1", FillMaxAge: time.Hour, InvalidTTL: time.Minute}},
		{"client ignores contexts", Options{Client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if c, err := New(newTestDB(t), tt.opt); err == nil {
				_ = c.Close()
				t.Fatal("New succeeded, want an error")
			}
		})
	}
	if _, err := New(nil, Options{URL: "redis://127.0.0.1:1"}); err == nil {
		t.Error("nil next accepted")
	}
}

func TestURLPasswordNotInError(t *testing.T) {
	t.Parallel()
	_, err := New(newTestDB(t), Options{URL: "redis://:hunter2secret@127.0.0.1:6379/notanumber"})
	if err == nil {
		t.Fatal("want an error")
	}
	if got := err.Error(); strings.Contains(got, "hunter2secret") {
		t.Errorf("error leaks the password: %s", got)
	}
}

// TestRedisDownStoreUsable: with nothing listening, every answer comes from
// the database and Ping (the store's) succeeds while RedisPing fails.
func TestRedisDownStoreUsable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	o := testOptions("lgtest:down:")
	o.URL = "redis://127.0.0.1:" + testenv.FreePort(t)
	c, err := New(db, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	tok := create(t, c)
	if got, err := c.TokenByHash(ctx, tok.Hash); err != nil || !got.Valid {
		t.Fatalf("lookup: %+v, %v", got, err)
	}
	revoke(t, c, tok)
	assertRevoked(t, c, tok, "leaked in test")
	if err := c.Ping(ctx); err != nil {
		t.Errorf("Ping = %v, want nil (the database is fine)", err)
	}
	if err := c.RedisPing(ctx); err == nil {
		t.Error("RedisPing = nil, want an error")
	}
	if !c.Degraded() {
		t.Error("Degraded = false after failures")
	}
}

func TestCloseClosesNextNotCallerClient(t *testing.T) {
	t.Parallel()
	_, shared := testenv.RedisClient(t)
	ro := *shared.Options()
	ro.ContextTimeoutEnabled = true // New requires it of a caller's client
	rdb := redis.NewClient(&ro)
	t.Cleanup(func() { _ = rdb.Close() })
	db := newTestDB(t)
	o := testOptions(testenv.KeyPrefix(t, rdb, "lgtest:"))
	o.Client, o.Logger = rdb, zerolog.Nop()
	c, err := New(db, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !db.closed.Load() {
		t.Error("next not closed")
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Errorf("caller's client was closed: %v", err)
	}
}

// TestNoValidAfterRevokeUnderLoad: readers hammer a token (by hash and by
// id, fills racing) while it is revoked; no lookup that starts after Revoke
// returned may report it valid.
func TestNoValidAfterRevokeUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for round := range 20 {
		db := newTestDB(t)
		c, _, _ := newSharedCache(t, db, nil)
		tok := create(t, db)
		var revoked atomic.Bool
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for range 30 {
					after := revoked.Load()
					var got *store.Token
					var err error
					if g%2 == 0 {
						got, err = c.TokenByHash(ctx, tok.Hash)
					} else {
						got, err = c.TokenByID(ctx, tok.ID)
					}
					if err != nil {
						t.Errorf("round %d: %v", round, err)
						return
					}
					if after && got.Valid {
						t.Errorf("round %d: valid after Revoke returned", round)
						return
					}
				}
			})
		}
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		revoke(t, c, tok)
		revoked.Store(true)
		wg.Wait()
	}
}

// TestQueuedValidWriteIsReread: a valid state queued during an outage is
// re-read from the database before it is written, so a revocation that
// happened meanwhile (by a process whose own overwrite was lost) is what
// lands in Redis.
func TestQueuedValidWriteIsReread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, db)
	val, err := encodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	c.queue.add(&write{hash: tok.Hash, id: tok.ID, value: val, ttl: time.Minute, valid: true})
	revoke(t, db, tok) // straight in the database: the cache never hears of it
	if n := c.flush(ctx); n != 0 {
		t.Fatalf("%d writes still queued", n)
	}
	if v := rawEntry(t, rdb, prefix, tok.Hash); v == "" || cachedValid(t, rdb, prefix, tok.Hash) {
		t.Fatalf("entry after flush = %q, want the revoked state", v)
	}
}
