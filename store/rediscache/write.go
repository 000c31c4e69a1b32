package rediscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// CreateToken creates t in next, then caches it, replacing any negative
// entry for its hash.
func (c *Cache) CreateToken(ctx context.Context, t *store.Token, ev store.Event) error {
	if err := c.Store.CreateToken(ctx, t, ev); err != nil {
		return err
	}
	c.publish(ctx, t)
	return nil
}

// Revoke revokes in next, then overwrites the cached entry with the
// revoked state (also when it was already revoked, which heals a stale
// entry). If Redis cannot take the write it is queued; see the package
// documentation for the bound. It then waits out any near cache's lease
// (MaxLocalTTL), unless req.DeferSettle is set, in which case the caller
// must call Settle; see store.Settler. It waits also when the token was
// already invalid: another process may have revoked it a moment ago and
// still be in its own wait, and a retry after an error that followed the
// commit finds the token revoked.
func (c *Cache) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	t, already, err := c.Store.Revoke(ctx, req)
	if err == nil && t != nil {
		c.publish(ctx, t)
		if !t.Valid {
			c.near.commitWait(req.DeferSettle)
		}
	}
	return t, already, err
}

// RotateToken rotates in next, then overwrites the old token's cached
// entry with its new state (replaced_by, the shortened expiry or the
// revocation) and caches the successor. When the old token was retired
// at once it waits out the near caches' leases, as Revoke does.
func (c *Cache) RotateToken(ctx context.Context, req store.RotateRequest) (*store.Token, error) {
	old, err := c.Store.RotateToken(ctx, req)
	if err != nil {
		return nil, err
	}
	c.publish(ctx, old)
	c.publish(ctx, req.Successor)
	if !old.Valid {
		c.near.commitWait(false)
	}
	return old, nil
}

// ExpireDue expires tokens in next, then overwrites each one's cached
// entry with its expired state.
func (c *Cache) ExpireDue(ctx context.Context, now time.Time) ([]*store.Token, error) {
	ts, err := c.Store.ExpireDue(ctx, now)
	for _, t := range ts {
		c.publish(ctx, t)
	}
	return ts, err
}

// TouchLastUsed updates next, then refreshes the cached entry from next so
// LastUsedAt shows. It costs one extra database read, which is fine at the
// once-a-minute rate callers touch a token. While Redis is being skipped the
// refresh is skipped too: LastUsedAt in the cache may then lag by up to TTL.
func (c *Cache) TouchLastUsed(ctx context.Context, id string, at time.Time) error {
	if err := c.Store.TouchLastUsed(ctx, id, at); err != nil {
		return err
	}
	if c.br.isOpen() {
		return nil
	}
	if t, err := c.Store.TokenByID(ctx, id); err == nil {
		c.publish(ctx, t)
	}
	return nil
}

// publish overwrites t's cached entry with the state next just committed.
// It runs even if the caller's context ends now, since the commit is done.
// A write that fails is queued for the retry loop; while a hash is queued
// new writes for it join the queue so they keep their order.
func (c *Cache) publish(ctx context.Context, t *store.Token) {
	if !leakguard.ValidHash(t.Hash) {
		return
	}
	// Forget this process's near-cache entry once the write is done (or
	// queued). A lookup racing the write may put a stale one back, but its
	// lease began before the write, so Revoke's commit wait outlasts it.
	defer c.near.drop(t.Hash)
	val, err := encodeToken(t)
	if err != nil {
		c.log.Error().Err(err).Str("hash", t.Hash).Msg("rediscache: cannot cache token state")
		return
	}
	w := &write{hash: t.Hash, id: t.ID, value: val, ttl: c.ttlFor(t), valid: t.Valid}
	if c.queue.has(w.hash) {
		c.enqueue(w)
		return
	}
	err = c.do(context.WithoutCancel(ctx), func(ctx context.Context) error { return c.writeEntry(ctx, w) })
	if err != nil {
		c.enqueue(w)
	}
}

// enqueue queues w for the retry loop.
func (c *Cache) enqueue(w *write) {
	if !c.queue.add(w) {
		c.log.Error().Str("hash", w.hash).Int("max", c.opt.MaxPending).
			Msg("rediscache: retry queue full; entry may stay stale until its TTL")
	}
}

// writeEntry runs putScript for w.
func (c *Cache) writeEntry(ctx context.Context, w *write) error {
	valid := "0"
	if w.valid {
		valid = "1"
	}
	err := putScript.Run(ctx, c.rdb, []string{c.keys.hash(w.hash), c.keys.id(w.id)},
		w.value, w.ttl.Milliseconds(), valid, w.hash, c.opt.InvalidTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("rediscache: write entry %s: %w", w.hash, err)
	}
	return nil
}

// RedisPing reports whether Redis answers within OpTimeout, for readiness
// checks. Ping (next's) is unaffected by Redis.
func (c *Cache) RedisPing(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opt.OpTimeout)
	defer cancel()
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("rediscache: ping: %w", err)
	}
	return nil
}

// Pending returns how many entry overwrites are waiting for Redis.
func (c *Cache) Pending() int { return c.queue.len() }

// Degraded reports whether Redis is currently skipped after a failure.
func (c *Cache) Degraded() bool { return c.br.isOpen() }

// Close stops the retry loop, makes one last bounded attempt to write
// queued entries, and closes next and (if New built it) the Redis client.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.loopDone
		c.co.wg.Wait() // an MGET in flight (at most OpTimeout) finishes first
		ctx, cancel := context.WithTimeout(context.Background(), closeFlushBudget)
		if n := c.flush(ctx); n > 0 {
			c.log.Warn().Int("pending", n).Msg("rediscache: closing with entries not rewritten in redis; other readers may see their old state until it expires (TTL)")
		}
		cancel()
		var errs []error
		if c.ownClient {
			if err := c.rdb.Close(); err != nil {
				errs = append(errs, fmt.Errorf("rediscache: close redis: %w", err))
			}
		}
		errs = append(errs, c.Store.Close())
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}
