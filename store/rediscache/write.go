package rediscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// CreateToken creates t in next, then caches it, replacing any negative
// entry for its hash. No near cache can hold a token that did not exist,
// so nobody is told.
func (c *Cache) CreateToken(ctx context.Context, t *store.Token, ev store.Event) error {
	if err := c.Store.CreateToken(ctx, t, ev); err != nil {
		return err
	}
	c.commit(ctx, t, tellNone)
	return nil
}

// Revoke revokes in next, then overwrites the cached entry with the
// revoked state and, in the same Redis script, tells every near cache to
// drop it; it returns once every process that may hold the token in its
// near cache has acknowledged, or one ChannelLease later (see nearCache).
// With req.DeferSettle it returns at once and the caller must call Settle;
// see store.Settler. It does all of this also when the token was already
// revoked: another process may have revoked it a moment ago and still be
// waiting, and a retry after an error that followed the commit finds the
// token revoked. If Redis cannot take the write it is queued and the
// revocation waits the lease; see the package documentation for the
// bound.
func (c *Cache) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	t, already, err := c.Store.Revoke(ctx, req)
	if err == nil && t != nil {
		how := tellWait
		if req.DeferSettle {
			how = tellDefer
		}
		if t.Valid {
			how = tellNone // not revoked (cannot happen with a conforming next)
		}
		c.commit(ctx, t, how)
	}
	return t, already, err
}

// RotateToken rotates in next, then overwrites the old token's cached
// entry with its new state (replaced_by, the shortened expiry or the
// revocation), tells every near cache and waits as Revoke does, and
// caches the successor.
func (c *Cache) RotateToken(ctx context.Context, req store.RotateRequest) (*store.Token, error) {
	old, err := c.Store.RotateToken(ctx, req)
	if err != nil {
		return nil, err
	}
	c.commit(ctx, req.Successor, tellNone)
	c.commit(ctx, old, tellWait)
	return old, nil
}

// ExpireDue expires tokens in next, then overwrites each one's cached
// entry with its expired state. Near caches are told without waiting:
// their verdicts already follow ExpiresAt.
func (c *Cache) ExpireDue(ctx context.Context, now time.Time) ([]*store.Token, error) {
	ts, err := c.Store.ExpireDue(ctx, now)
	for _, t := range ts {
		c.commit(ctx, t, tellAsync)
	}
	return ts, err
}

// TouchLastUsed updates next, then refreshes the cached entry (and this
// process's near cache entry, if any) from next so LastUsedAt shows. It
// costs one extra database read, which is fine at the once-a-minute rate
// callers touch a token. While Redis is being skipped the refresh is
// skipped too: LastUsedAt in the cache may then lag by up to TTL. Other
// processes' near caches are not told: theirs may lag by up to LocalTTL.
func (c *Cache) TouchLastUsed(ctx context.Context, id string, at time.Time) error {
	if err := c.Store.TouchLastUsed(ctx, id, at); err != nil {
		return err
	}
	c.refreshTouched(ctx, []store.Touch{{ID: id, At: at}})
	return nil
}

// Cache implements store.BatchToucher.
var _ store.BatchToucher = (*Cache)(nil)

// TouchLastUsedMany updates next (in one call when next is a
// store.BatchToucher, else one TouchLastUsed per touch, unknown ids
// skipped), then updates the LastUsedAt of this process's near cache
// copies of the touched tokens and drops their Redis entries if they say
// valid (dropValidScript: one round trip; the next reader refills them from
// next). That is cheaper than TouchLastUsed's read and rewrite of each
// entry when many distinct tokens are verified, and never drops a revoked
// entry (a revocation's overwrite is unconditional, so a valid entry
// dropped or refilled meanwhile cannot outlive it). Touches without a
// hash are refreshed as TouchLastUsed does. Other processes' near copies
// may show an older LastUsedAt for up to LocalTTL.
func (c *Cache) TouchLastUsedMany(ctx context.Context, ts []store.Touch) error {
	if bt, ok := c.Store.(store.BatchToucher); ok {
		if err := bt.TouchLastUsedMany(ctx, ts); err != nil {
			return err
		}
	} else {
		for _, t := range ts {
			if err := c.Store.TouchLastUsed(ctx, t.ID, t.At); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	var keys []string
	var noHash []store.Touch
	for _, t := range ts {
		if !leakguard.ValidHash(t.Hash) {
			noHash = append(noHash, t)
			continue
		}
		c.near.touched(t.Hash, t.At)
		keys = append(keys, c.keys.hash(t.Hash))
	}
	if len(keys) > 0 {
		_ = c.do(context.WithoutCancel(ctx), func(ctx context.Context) error {
			return dropValidScript.Run(ctx, c.rdb, keys).Err()
		})
	}
	if len(noHash) > 0 {
		c.refreshTouched(ctx, noHash)
	}
	return nil
}

// dropValidScript deletes each entry of KEYS that says its token is
// valid (a found, valid token), and nothing else.
var dropValidScript = redis.NewScript(`
for _, k in ipairs(KEYS) do
  local cur = redis.call('GET', k)
  if cur then
    local ok, c = pcall(cjson.decode, cur)
    if ok and type(c) == 'table' and c.found == true and type(c.token) == 'table' and c.token.valid == true then
      redis.call('DEL', k)
    end
  end
end
return 0
`)

// refreshTouched rewrites the cached entries of the touched tokens from
// next (one pipelined round trip) and refreshes this process's near cache
// entries with them, unless Redis is being skipped.
func (c *Cache) refreshTouched(ctx context.Context, ts []store.Touch) {
	if c.br.isOpen() {
		return
	}
	tk := c.near.ticket() // before the reads: an invalidation since refuses the refresh
	toks := make([]*store.Token, 0, len(ts))
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if tok, err := c.Store.TokenByID(ctx, t.ID); err == nil && leakguard.ValidHash(tok.Hash) {
			toks = append(toks, tok)
		}
	}
	c.writeMany(ctx, toks)
	for _, tok := range toks {
		if tok.Valid {
			c.near.refresh(tok.Hash, tok, tk)
		} else {
			c.near.drop(tok.Hash)
		}
	}
}

// writeMany overwrites the entries of toks in one pipelined round trip
// (putScript's rules each). A write that fails, or whose hash has a
// queued write, is queued.
func (c *Cache) writeMany(ctx context.Context, toks []*store.Token) {
	ctx = context.WithoutCancel(ctx)
	var send []*write
	for _, t := range toks {
		val, err := encodeToken(t)
		if err != nil {
			continue
		}
		w := &write{hash: t.Hash, id: t.ID, value: val, ttl: c.ttlFor(t), valid: t.Valid}
		if c.queue.has(w.hash) {
			c.enqueue(w)
		} else {
			send = append(send, w)
		}
	}
	if len(send) == 0 {
		return
	}
	var cmds []redis.Cmder
	err := c.do(ctx, func(ctx context.Context) error {
		if err := putScript.Load(ctx, c.rdb).Err(); err != nil {
			return err
		}
		var err error
		cmds, err = c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, w := range send {
				keys, args := c.putArgs(w)
				putScript.EvalSha(ctx, p, keys, args...)
			}
			return nil
		})
		return err
	})
	for i, w := range send {
		if err != nil || i >= len(cmds) || cmds[i].Err() != nil {
			c.enqueue(w)
		}
	}
}

// tell says whom commit tells of a state change, and whether it waits.
type tell int

const (
	tellNone  tell = iota // nobody (a new token, last_used_at): this process drops its entry
	tellLocal             // this process only, refusing its reads in flight (the watcher)
	tellAsync             // every near cache, without waiting
	tellWait              // every near cache, and wait for them (see nearCache)
	tellDefer             // as tellWait, but the wait is left for Settle
)

// commit overwrites t's cached entry with the state next just committed
// and tells near caches as how says. It runs even if the caller's context
// ends now, since the commit is done. A write that fails is queued for
// the retry loop (and a revocation then waits one lease, blind); while a
// hash is queued new writes for it join the queue so they keep their
// order.
func (c *Cache) commit(ctx context.Context, t *store.Token, how tell) {
	if !leakguard.ValidHash(t.Hash) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	// This process's own entry goes once the write is done (or queued):
	// a read that started earlier may have read the old state.
	if how == tellNone {
		defer c.near.drop(t.Hash)
	} else {
		defer c.near.invalidate(t.Hash)
	}
	val, err := encodeToken(t)
	if err != nil {
		c.log.Error().Err(err).Str("hash", t.Hash).Msg("rediscache: cannot cache token state")
		return
	}
	w := &write{hash: t.Hash, id: t.ID, value: val, ttl: c.ttlFor(t), valid: t.Valid}
	if c.queue.has(w.hash) {
		c.enqueue(w)
		c.settleBlind(ctx, how)
		return
	}
	var aw *ackWait
	err = c.do(ctx, func(ctx context.Context) error {
		if how == tellNone || how == tellLocal {
			return c.writeEntry(ctx, w)
		}
		var e error
		aw, e = c.ch.push(ctx, w, how == tellWait || how == tellDefer)
		return e
	})
	switch {
	case err != nil:
		c.enqueue(w)
		c.settleBlind(ctx, how)
	case how == tellWait:
		_ = c.ch.wait(ctx, aw)
	case how == tellDefer:
		c.ch.later(aw)
	}
}

// settleBlind waits (or leaves for Settle) one lease for a change whose
// invalidation could not be sent.
func (c *Cache) settleBlind(ctx context.Context, how tell) {
	switch how {
	case tellWait:
		_ = c.ch.wait(ctx, c.ch.blind())
	case tellDefer:
		c.ch.later(c.ch.blind())
	}
}

// enqueue queues w for the retry loop.
func (c *Cache) enqueue(w *write) {
	if !c.queue.add(w) {
		c.log.Error().Str("hash", w.hash).Int("max", c.opt.MaxPending).
			Msg("rediscache: retry queue full; entry may stay stale until its TTL")
	}
}

// putArgs are putScript's keys and arguments for w.
func (c *Cache) putArgs(w *write) ([]string, []any) {
	valid := "0"
	if w.valid {
		valid = "1"
	}
	return []string{c.keys.hash(w.hash), c.keys.id(w.id)},
		[]any{w.value, w.ttl.Milliseconds(), valid, w.hash, c.opt.InvalidTTL.Milliseconds()}
}

// writeEntry runs putScript for w.
func (c *Cache) writeEntry(ctx context.Context, w *write) error {
	keys, args := c.putArgs(w)
	err := putScript.Run(ctx, c.rdb, keys, args...).Err()
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

// Close stops the retry loop, the revocation watcher and the
// invalidation channel (leaving the membership), makes one last bounded
// attempt to write queued entries, and closes next and (if New built it)
// the Redis client.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.loopDone
		if c.watch != nil {
			c.watch.close()
		}
		c.ch.close()
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
