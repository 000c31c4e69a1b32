package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// scanKeys lists every key under prefix.
func scanKeys(ctx context.Context, t testing.TB, rdb *redis.Client, prefix string) []string {
	t.Helper()
	ks, err := testenv.ScanKeys(ctx, rdb, prefix)
	if err != nil {
		t.Fatalf("scan %s: %v", prefix, err)
	}
	return ks
}

// dataKeys lists the keys under prefix that hold token entries or
// pointers: every key but the near caches' membership.
func dataKeys(ctx context.Context, t testing.TB, rdb *redis.Client, prefix string) []string {
	t.Helper()
	var out []string
	for _, k := range scanKeys(ctx, t, rdb, prefix) {
		if k != prefix+"near:members" {
			out = append(out, k)
		}
	}
	return out
}

// testOptions are short timings so fault tests run quickly. OpTimeout and
// HedgeAfter are generous so that behaviour tests asserting raw Redis state
// or database reads do not flake on a loaded machine (a hedged lookup
// reads the database and skips its fill); fault tests shorten them. The
// channel lease is short so that a revocation Redis cannot take waits
// little; tests that count near-cache hits lengthen it.
func testOptions(prefix string) Options {
	return Options{
		Prefix: prefix, TTL: time.Minute, InvalidTTL: 10 * time.Minute, NegativeTTL: 10 * time.Second,
		OpTimeout: 500 * time.Millisecond, Cooldown: 200 * time.Millisecond,
		RetryInterval: 50 * time.Millisecond, HedgeAfter: 2 * time.Second, Logger: zerolog.Nop(),
		ChannelLease: 300 * time.Millisecond, RevocationPoll: 100 * time.Millisecond,
	}
}

// newSharedCache wraps next with a cache on the shared Redis under a fresh
// prefix. It returns the cache, a raw client and the prefix.
func newSharedCache(t testing.TB, next store.Store, tweak func(*Options)) (*Cache, *redis.Client, string) {
	t.Helper()
	url, rdb := testenv.RedisClient(t)
	prefix := testenv.KeyPrefix(t, rdb, "lgtest:")
	o := testOptions(prefix)
	o.URL = url
	if tweak != nil {
		tweak(&o)
	}
	c, err := New(next, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, rdb, prefix
}

// newToken mints a real token of our user format and returns its store
// record (hash only) and the plaintext, which tests never give the store.
func newToken(t testing.TB) (*store.Token, patterns.Secret) {
	t.Helper()
	f, ok := patterns.Default().Issued("user")
	if !ok {
		t.Fatal("no user format")
	}
	sec, err := f.Generate(nil)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	id, err := store.RandomID("tok_")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	return &store.Token{
		ID: id, Hash: sec.Hash(), Type: "user", FormatID: f.ID, Owner: "alice@example.org",
		Name: "ci", Last4: sec.Last4(), CreatedAt: time.Now().UTC().Truncate(time.Second),
		ExpiresAt: &exp, Valid: true,
	}, sec
}

// create stores a fresh token through c and returns it.
func create(t testing.TB, c store.Store) *store.Token {
	t.Helper()
	tok, _ := newToken(t)
	if err := c.CreateToken(context.Background(), tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// revoke revokes tok by hash through c.
func revoke(t testing.TB, c store.Store, tok *store.Token) *store.Token {
	t.Helper()
	got, _, err := c.Revoke(context.Background(), store.RevokeRequest{Hash: tok.Hash, Reason: "leaked in test", Actor: "tester"})
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	return got
}

// unknownHash is a well-formed hash of no token.
func unknownHash(t testing.TB) string {
	t.Helper()
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rawEntry reads the cached value of hash, "" if absent.
func rawEntry(t testing.TB, rdb *redis.Client, prefix, hash string) string {
	t.Helper()
	v, err := rdb.Get(context.Background(), prefix+"tok:h:"+hash).Result()
	if err == redis.Nil {
		return ""
	}
	if err != nil {
		t.Fatalf("get entry: %v", err)
	}
	return v
}

// cachedValid reports whether the raw cached entry says the token is valid.
func cachedValid(t testing.TB, rdb *redis.Client, prefix, hash string) bool {
	t.Helper()
	v := rawEntry(t, rdb, prefix, hash)
	return strings.Contains(v, `"valid":true`)
}
