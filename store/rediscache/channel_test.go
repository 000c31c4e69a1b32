package rediscache

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard/internal/testenv"
)

// killSubscribers closes every pub/sub connection of the private server
// (CLIENT KILL TYPE pubsub): every cache's invalidation channel is lost.
func killSubscribers(t *testing.T, rdb *redis.Client) {
	t.Helper()
	if err := rdb.Do(context.Background(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatalf("CLIENT KILL: %v", err)
	}
}

// TestChannelLostEmptiesNearCache: when its subscription breaks, a cache
// stops answering from its near cache at once, empties it, and answers
// from it again only after the channel is back and proved live (re-synced
// by starting empty).
func TestChannelLostEmptiesNearCache(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	raw := p.Client()
	t.Cleanup(func() { _ = raw.Close() })
	c := newFaultCache(t, p, newTestDB(t), func(o *Options) { o.ChannelLease = 2 * time.Second })
	waitTrusted(t, c)
	tok := create(t, c)
	expect(t, c, tok.Hash, tok)
	if _, ok := c.near.get(tok.Hash); !ok {
		t.Fatal("not in the near cache")
	}
	killSubscribers(t, raw)
	waitFor(t, "the loss noticed", func() bool { _, ok := c.near.get(tok.Hash); return !ok })
	if n := c.near.len(); n != 0 {
		t.Errorf("%d entries kept after the channel was lost, want 0", n)
	}
	reads := &cmdCounter{}
	c.rdb.AddHook(reads)
	waitTrusted(t, c) // resubscribed, pinged, renewed
	expect(t, c, tok.Hash, tok)
	before := reads.reads.Load()
	for range 10 {
		expect(t, c, tok.Hash, tok)
	}
	if n := reads.reads.Load() - before; n != 0 {
		t.Errorf("%d Redis reads after the channel came back, want 0 (near cache answering again)", n)
	}
}

// TestRevokeWait: how long Revoke waits. With every member answering it
// returns as soon as they have acknowledged (well under the lease); a
// live member that never answers (a process cut off, paused, or dead
// without leaving) makes it wait the lease, not forever; and a members
// set younger than the lease (Redis restarted empty a moment ago) is
// waited out.
func TestRevokeWait(t *testing.T) {
	t.Parallel()
	const lease = 800 * time.Millisecond
	cases := []struct {
		name     string
		silent   bool // a live member that never acknowledges
		young    bool // revoke right after the members set was born
		min, max time.Duration
	}{
		{name: "every member acknowledges", max: lease / 2},
		{name: "a member is silent", silent: true, min: lease * 9 / 10, max: lease + time.Second},
		{name: "the members set is new", young: true, min: lease / 4, max: lease + time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			tweak := func(o *Options) { o.ChannelLease = lease }
			a, rdb, prefix := newSharedCache(t, db, tweak)
			o := testOptions(prefix)
			o.Client, o.ChannelLease = a.rdb, lease
			b, err := New(db, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			tok := create(t, a)
			if !tc.young {
				waitTrusted(t, a)
				waitTrusted(t, b)
				time.Sleep(lease) // the members set is older than a lease
			}
			if tc.silent {
				exp := time.Now().Add(time.Hour).UnixMilli()
				if err := rdb.HSet(context.Background(), prefix+"near:members", "0badc0de", exp).Err(); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			revoke(t, a, tok)
			d := time.Since(start)
			if d < tc.min || d > tc.max {
				t.Errorf("Revoke took %v, want %v..%v", d, tc.min, tc.max)
			}
			t.Logf("Revoke took %v", d)
		})
	}
}

// TestNoStaleValidWhileChannelsFlap: the cross-process rule holds while
// every subscription is killed over and over (each cache resets, re-syncs
// and resets again): no lookup in b that starts after a's Revoke returned
// reports the token valid.
func TestNoStaleValidWhileChannelsFlap(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	raw := p.Client()
	t.Cleanup(func() { _ = raw.Close() })
	db := newTestDB(t)
	for round := range 5 {
		a := newFaultCache(t, p, db, func(o *Options) { o.Prefix = "lgflap" + strconv.Itoa(round) + ":" })
		b := newFaultCache(t, p, db, func(o *Options) { o.Prefix = "lgflap" + strconv.Itoa(round) + ":" })
		waitTrusted(t, b)
		tok := create(t, a)
		var (
			done, revoked atomic.Bool
			stale, valid  atomic.Int64
			wg            sync.WaitGroup
		)
		wg.Go(func() { // chaos: kill every subscription every 20-40 ms
			for i := 0; !done.Load(); i++ {
				killSubscribers(t, raw)
				time.Sleep(time.Duration(20+i%3*10) * time.Millisecond)
			}
		})
		for range 3 {
			wg.Go(func() {
				for !done.Load() {
					after := revoked.Load()
					got, err := b.TokenByHash(context.Background(), tok.Hash)
					if err != nil {
						t.Errorf("lookup: %v", err)
						return
					}
					if got.Valid {
						valid.Add(1)
						if after {
							stale.Add(1)
						}
					}
				}
			})
		}
		time.Sleep(300 * time.Millisecond)
		revoke(t, a, tok)
		revoked.Store(true)
		time.Sleep(300 * time.Millisecond)
		done.Store(true)
		wg.Wait()
		if valid.Load() == 0 {
			t.Fatalf("round %d: b never saw the token valid", round)
		}
		if n := stale.Load(); n != 0 {
			t.Errorf("round %d: %d look-ups after Revoke returned reported the token valid", round, n)
		}
	}
}

// TestTouchIsNotPushed: a last_used_at refresh does not invalidate other
// processes' near caches (it changes nothing a verification reads).
func TestTouchIsNotPushed(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	a, _, prefix := newSharedCache(t, db, nil)
	o := testOptions(prefix)
	o.Client, o.ChannelLease = a.rdb, 10*time.Second
	b, err := New(db, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	waitTrusted(t, b)
	tok := create(t, a)
	expect(t, b, tok.Hash, tok)
	seq := b.near.seq.Load()
	if err := a.TouchLastUsed(context.Background(), tok.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, ok := b.near.get(tok.Hash); !ok || b.near.seq.Load() != seq {
		t.Error("a touch in another process invalidated this near cache")
	}
}

// FuzzParseInval: whatever arrives on the channel, an accepted message is
// exactly a hash, an origin and a message id in canonical form.
func FuzzParseInval(f *testing.F) {
	f.Add(testHash(1) + " 0123456789abcdef0123456789abcdef 1f")
	f.Add(testHash(1) + "  a  b ")
	f.Add("x y z")
	f.Add(testHash(1) + " A 1")
	f.Add(strings.Repeat("a", 64) + " " + strings.Repeat("f", 33) + " 1")
	f.Fuzz(func(t *testing.T, s string) {
		hash, origin, msg, ok := parseInval(s)
		if !ok {
			return
		}
		if len(hash) != 64 || !isID(origin) || !isID(msg) {
			t.Fatalf("accepted %q as %q %q %q", s, hash, origin, msg)
		}
		if h2, o2, m2, ok2 := parseInval(hash + " " + origin + " " + msg); !ok2 || h2 != hash || o2 != origin || m2 != msg {
			t.Fatalf("round trip of %q failed", s)
		}
		if msg2, from, ok := parseAck(msg + " " + origin); !ok || msg2 != msg || from != origin {
			t.Fatalf("an acknowledgement of %q does not parse", s)
		}
	})
}
