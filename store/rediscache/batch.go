package rediscache

import (
	"context"
	"fmt"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// Cache implements store.BatchGetter.
var _ store.BatchGetter = (*Cache)(nil)

// TokensByHash looks up every hash with one MGET (one round trip, one
// deadline of Options.OpTimeout, one breaker decision; concurrent calls
// share MGETs, see coalescer) and gives each the
// answer TokenByHash would: a hit is decoded; a miss reads next and fills
// the entry with SET NX; a hash that is malformed or has a queued
// overwrite skips Redis; any Redis trouble or undecodable value falls
// through to next without a fill. See store.BatchGetter.
func (c *Cache) TokensByHash(ctx context.Context, hashes []string) ([]*store.Token, []error) {
	toks, errs := make([]*store.Token, len(hashes)), make([]error, len(hashes))
	idx := make([]int, 0, len(hashes)) // positions asked of Redis
	keys := make([]string, 0, len(hashes))
	for i, h := range hashes {
		if !leakguard.ValidHash(h) || c.bypass(h) {
			toks[i], errs[i] = c.Store.TokenByHash(ctx, h)
			continue
		}
		if t, ok := c.near.get(h); ok {
			toks[i] = t
			continue
		}
		idx = append(idx, i)
		keys = append(keys, c.keys.hash(h))
	}
	if len(keys) == 0 {
		return toks, errs
	}
	tk := c.near.ticket() // before the MGET is sent (it is sent after mget is called)
	vals, err := c.co.mget(ctx, keys)
	for j, i := range idx {
		if err != nil {
			toks[i], errs[i] = c.readThrough(ctx, hashes[i], false)
			continue
		}
		toks[i], errs[i] = c.fromValue(ctx, hashes[i], vals[j], tk)
	}
	return toks, errs
}

// fromValue answers hash from one MGET value, read after tk was taken:
// nil is a miss (read next and fill), a string is an entry (decoded and
// kept in the near cache if valid, or read from next without a fill when
// it cannot be).
func (c *Cache) fromValue(ctx context.Context, hash string, v any, tk nearTicket) (*store.Token, error) {
	// A nil value is MGET's form of redis.Nil.
	s, ok := v.(string)
	if !ok {
		return c.readThrough(ctx, hash, v == nil)
	}
	t, found, derr := c.memo.decode(s, hash)
	switch {
	case derr != nil:
		c.log.Debug().Err(derr).Str("hash", hash).Msg("rediscache: ignoring unreadable entry")
		return c.readThrough(ctx, hash, false)
	case !found:
		return nil, fmt.Errorf("rediscache: token by hash: %w", store.ErrNotFound)
	}
	c.near.put(hash, t, tk)
	return t, nil
}
