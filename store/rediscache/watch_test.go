package rediscache

import (
	"context"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// TestWatcherHealsLostRevocation: a revocation committed in the database
// that no cache was told of (as when the revoking process could not reach
// Redis and died) reaches a process holding the token warm — in its near
// cache and in Redis — within a poll of the revocation log: the Redis
// entry says revoked and the near cache forgot it.
func TestWatcherHealsLostRevocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, rdb, prefix := newSharedCache(t, db, func(o *Options) { o.ChannelLease, o.RevocationPoll = 10*time.Second, 200*time.Millisecond })
	waitTrusted(t, c)
	tok := create(t, c)
	expect(t, c, tok.Hash, tok)
	if _, ok := c.near.get(tok.Hash); !ok {
		t.Fatal("not in the near cache")
	}
	revoke(t, db, tok) // straight in the database: no cache hears of it
	start := time.Now()
	waitFor(t, "the watcher", func() bool {
		got, err := c.TokenByHash(ctx, tok.Hash)
		return err == nil && !got.Valid
	})
	if d := time.Since(start); d > time.Second {
		t.Errorf("refused after %v, want within about a poll (200ms)", d)
	}
	if cachedValid(t, rdb, prefix, tok.Hash) || rawEntry(t, rdb, prefix, tok.Hash) == "" {
		t.Errorf("Redis entry after the watcher = %q, want the revoked state", rawEntry(t, rdb, prefix, tok.Hash))
	}
}

// TestWatcherCatchUpOnStart: a process that starts while Redis holds a
// stale "valid" entry of a token revoked a moment ago (its revoker's
// overwrite was lost) never reports it valid: New reads the recent
// revocation log and heals the entry before the first lookup.
func TestWatcherCatchUpOnStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	first, rdb, prefix := newSharedCache(t, db, nil)
	tok := create(t, first)
	expect(t, first, tok.Hash, tok) // Redis: valid
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Revoke(ctx, store.RevokeRequest{ID: tok.ID, Reason: "leaked", Actor: "x",
		At: time.Now().Add(-30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if !cachedValid(t, rdb, prefix, tok.Hash) {
		t.Fatal("setup: Redis should still hold the stale valid entry")
	}
	o := testOptions(prefix)
	o.URL = first.opt.URL
	second, err := New(db, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close() })
	if got, err := second.TokenByHash(ctx, tok.Hash); err != nil || got.Valid {
		t.Fatalf("first lookup in the new process: %+v, %v; want revoked", got, err)
	}
	if cachedValid(t, rdb, prefix, tok.Hash) {
		t.Error("the stale entry was not healed")
	}
}
