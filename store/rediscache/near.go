package rediscache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leakguard/leakguard/internal/wait"
	"github.com/leakguard/leakguard/store"
)

// nearMax bounds the near cache; when it is full it starts over.
const nearMax = 1 << 16

// nearCache keeps valid tokens read from Redis in process for a short lease
// (Options.LocalTTL, at most MaxLocalTTL), so a token verified over and
// over costs no Redis round trip within its lease, while keeping the
// cache's rule that no lookup which starts after Revoke has returned, in
// any process, sees the token valid:
//
//   - An entry's lease is counted from before the MGET or GET that read it
//     was sent, so it ends at most LocalTTL after Redis executed that read.
//     The same holds for a token read from the database when Redis could
//     not answer: the lease starts before the read, and the revocation
//     it might predate commits before Revoke's overwrite and wait.
//   - Revoke, after overwriting the Redis entry, waits MaxLocalTTL before
//     it returns ("commit wait"), also when this process keeps no near
//     cache: another process sharing the database may. Any entry that
//     still says valid was read before the overwrite, so its lease has
//     ended by then, in every process; a read after the overwrite sees the
//     revoked state.
//   - Revoke waits also when it finds the token already revoked: another
//     process may have revoked it a moment ago and still be in its own wait
//     (revoker, on a Settler, sends such reports through Revoke for this).
//   - Only found, valid tokens are kept. Unknown, revoked and expired
//     answers always come from Redis, so creating a token never has to wait
//     for anything (a token only ever goes from valid to invalid). Expiry
//     needs no wait either: the verdict is computed from ExpiresAt at lookup,
//     and an entry that outlives ExpiresAt already reads as expired (to
//     within the clock difference between the sweeping and the reading
//     host, as without the near cache).
//   - At most nearMax entries are held (a few tens of MB at worst); expired
//     ones are dropped when the map starts over.
//   - Every overwrite this process makes drops the entry at once, and a hash
//     with a queued overwrite bypasses the near cache as it bypasses Redis.
//
// Leases use the monotonic wall clock (time.Now), not Options.Now: the
// argument above compares durations across processes in real time. Since
// no process's lease exceeds MaxLocalTTL and every revocation waits
// MaxLocalTTL, processes may use different leases (or none).
//
// Entries hold hashes and metadata only, like Redis itself.
type nearCache struct {
	ttl time.Duration // <= 0: off; at most MaxLocalTTL outside tests

	mu sync.RWMutex
	m  map[string]nearEntry

	settleMu    sync.Mutex
	settleUntil time.Time // latest end of a deferred commit wait
}

type nearEntry struct {
	tok *store.Token // never handed out; get returns copies
	exp time.Time    // lease end (monotonic)
}

// on reports whether the near cache is enabled.
func (n *nearCache) on() bool { return n.ttl > 0 }

// get returns a copy of hash's token if its lease has not ended.
func (n *nearCache) get(hash string) (*store.Token, bool) {
	if !n.on() {
		return nil, false
	}
	n.mu.RLock()
	e, ok := n.m[hash]
	n.mu.RUnlock()
	if !ok || !time.Now().Before(e.exp) {
		return nil, false
	}
	cp := *e.tok
	return &cp, true
}

// put keeps t, read from Redis by a request sent at sent, if it is valid and
// its lease has not already ended. The caller keeps t; put stores a copy.
func (n *nearCache) put(hash string, t *store.Token, sent time.Time) {
	if !n.on() || t == nil || !t.Valid || t.Hash != hash {
		return
	}
	exp := sent.Add(n.ttl)
	if !time.Now().Before(exp) {
		return
	}
	cp := *t
	n.mu.Lock()
	if n.m == nil || len(n.m) >= nearMax {
		n.m = make(map[string]nearEntry)
	}
	n.m[hash] = nearEntry{tok: &cp, exp: exp}
	n.mu.Unlock()
}

// drop forgets hash (this process just changed its state).
func (n *nearCache) drop(hash string) {
	if !n.on() {
		return
	}
	n.mu.Lock()
	delete(n.m, hash)
	n.mu.Unlock()
}

// commitWait is called after a revocation's Redis overwrite: it waits until
// every near-cache lease that may still say valid has ended in every
// process (MaxLocalTTL, or this cache's own lease if a test set a longer
// one), or, if deferred, records that end for Settle.
func (n *nearCache) commitWait(deferred bool) {
	until := time.Now().Add(max(n.ttl, MaxLocalTTL))
	if deferred {
		n.settleMu.Lock()
		if until.After(n.settleUntil) {
			n.settleUntil = until
		}
		n.settleMu.Unlock()
		return
	}
	time.Sleep(time.Until(until))
}

// settle waits out the latest deferred commit wait.
func (n *nearCache) settle(ctx context.Context) error {
	n.settleMu.Lock()
	until := n.settleUntil
	n.settleMu.Unlock()
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	if err := wait.Sleep(ctx, d); err != nil {
		return fmt.Errorf("rediscache: settle: %w", err)
	}
	return nil
}

// Cache implements store.Settler.
var _ store.Settler = (*Cache)(nil)

// Settle returns once every revocation made through c with
// RevokeRequest.DeferSettle is past its commit wait (see store.Settler).
func (c *Cache) Settle(ctx context.Context) error { return c.near.settle(ctx) }
