package rediscache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// errSkipped means the breaker is open and Redis was not called.
var errSkipped = errors.New("rediscache: redis skipped (circuit open)")

// closeFlushBudget bounds the last attempt to write queued entries on Close.
const closeFlushBudget = time.Second

// Cache is a store.Store that answers TokenByHash and TokenByID from Redis
// when it can and forwards everything else to the wrapped store. See the
// package documentation for its correctness rules and staleness bound.
type Cache struct {
	store.Store // next: the system of record

	rdb       *redis.Client
	ownClient bool
	opt       Options
	keys      keys
	br        *breaker
	queue     *queue
	log       zerolog.Logger
	memo      decodeMemo
	co        coalescer
	near      *nearCache
	ch        *channel
	watch     *watcher // nil unless next keeps a revocation log

	stop      chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New wraps next with a Redis cache configured by opt. It does not wait
// for Redis: an unreachable Redis only means every lookup goes to next
// until it answers. When next keeps a revocation log
// (store.RevocationFeed), New reads the recent part of it first (see
// watcher), bounded by a few OpTimeouts. Close closes next, and the
// Redis client if New built it.
func New(next store.Store, opt Options) (*Cache, error) {
	if next == nil {
		return nil, errors.New("rediscache: nil next store")
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	rdb, own := opt.Client, false
	if rdb == nil {
		if rdb, err = newClient(opt); err != nil {
			return nil, err
		}
		own = true
	} else if !rdb.Options().ContextTimeoutEnabled {
		return nil, errors.New("rediscache: client must have ContextTimeoutEnabled (a hung server would block requests)")
	}
	c := &Cache{
		Store: next, rdb: rdb, ownClient: own, opt: opt, keys: keys{prefix: opt.Prefix},
		br: newBreaker(opt.Cooldown, opt.Now, opt.Logger), queue: newQueue(opt.MaxPending),
		log: opt.Logger, stop: make(chan struct{}), loopDone: make(chan struct{}),
		near: newNearCache(opt.LocalTTL, opt.LocalSize, opt.ChannelLease),
	}
	c.co.c = c
	c.ch = newChannel(c)
	if feed, ok := next.(store.RevocationFeed); ok {
		c.watch = newWatcher(c, feed)
	}
	go c.retryLoop(c.stop, c.loopDone)
	return c, nil
}

// do runs fn against Redis with its own deadline if the breaker allows it,
// and reports the outcome to the breaker. It returns errSkipped when the
// breaker is open.
func (c *Cache) do(parent context.Context, fn func(ctx context.Context) error) error {
	if !c.br.allow() {
		return errSkipped
	}
	ctx, cancel := context.WithTimeout(parent, c.opt.OpTimeout)
	defer cancel()
	err := fn(ctx)
	c.br.done(parent, err)
	return err
}

// TokenByHash returns the token with that hash from Redis, or from next on
// a miss, a queued overwrite or any Redis trouble.
func (c *Cache) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	if !leakguard.ValidHash(hash) || c.bypass(hash) {
		// Anything but a well-formed hash (a plaintext token passed by
		// mistake?) never reaches a Redis key.
		return c.Store.TokenByHash(ctx, hash)
	}
	if t, ok := c.near.get(hash); ok {
		return t, nil
	}
	var val string
	tk := c.near.ticket() // before the GET is sent
	err := c.do(ctx, func(ctx context.Context) error {
		var e error
		val, e = c.rdb.Get(ctx, c.keys.hash(hash)).Result()
		return e
	})
	if err == nil {
		t, found, derr := c.memo.decode(val, hash)
		switch {
		case derr != nil:
			c.log.Debug().Err(derr).Str("hash", hash).Msg("rediscache: ignoring unreadable entry")
		case !found:
			return nil, fmt.Errorf("rediscache: token by hash: %w", store.ErrNotFound)
		default:
			c.near.put(hash, t, tk)
			return t, nil
		}
	}
	return c.readThrough(ctx, hash, errors.Is(err, redis.Nil))
}

// bypass reports whether lookups of hash must skip Redis: an overwrite of
// its entry is queued (Redis may hold an older state), or this process
// has not yet read the recent revocation log (watcher).
func (c *Cache) bypass(hash string) bool {
	return c.queue.has(hash) || (c.watch != nil && !c.watch.ready.Load())
}

// readThrough reads hash from next and, if fill is set and the read was
// quick, caches the answer with SET NX.
func (c *Cache) readThrough(ctx context.Context, hash string, fill bool) (*store.Token, error) {
	start := c.opt.Now()
	tk := c.near.ticket() // before the read
	t, err := c.Store.TokenByHash(ctx, hash)
	if err == nil {
		// The database is the system of record, so its answer may fill
		// the near cache like a Redis hit (see nearCache).
		c.near.put(hash, t, tk)
	}
	if !fill || (err != nil && !errors.Is(err, store.ErrNotFound)) || !c.fresh(start, hash) {
		return t, err
	}
	val, ttl := negativeEntry, c.opt.NegativeTTL
	if err == nil {
		var eerr error
		if val, eerr = encodeToken(t); eerr != nil {
			return t, nil
		}
		ttl = c.ttlFor(t)
	}
	_ = c.do(ctx, func(ctx context.Context) error {
		return c.rdb.SetNX(ctx, c.keys.hash(hash), val, ttl).Err()
	})
	return t, err
}

// fresh reports whether a database read that started at start may still
// fill the cache: it was quick and no overwrite for hash is queued.
func (c *Cache) fresh(start time.Time, hash string) bool {
	return c.opt.Now().Sub(start) < c.opt.FillMaxAge && !c.queue.has(hash)
}

// ttlFor is the entry lifetime for t's state.
func (c *Cache) ttlFor(t *store.Token) time.Duration {
	if t.Valid {
		return c.opt.TTL
	}
	return c.opt.InvalidTTL
}

// TokenByID resolves id through the cached id→hash pointer and then
// TokenByHash; on a pointer miss it reads next and fills both keys.
func (c *Cache) TokenByID(ctx context.Context, id string) (*store.Token, error) {
	var hash string
	err := c.do(ctx, func(ctx context.Context) error {
		var e error
		hash, e = c.rdb.Get(ctx, c.keys.id(id)).Result()
		return e
	})
	if err == nil {
		t, herr := c.TokenByHash(ctx, hash)
		if herr == nil && t.ID == id {
			return t, nil
		}
		if herr != nil && !errors.Is(herr, store.ErrNotFound) {
			return nil, herr
		}
	}
	start := c.opt.Now()
	t, nerr := c.Store.TokenByID(ctx, id)
	if nerr == nil && errors.Is(err, redis.Nil) && c.fresh(start, t.Hash) {
		c.fillByID(ctx, t)
	}
	return t, nerr
}

// fillByID caches t's pointer and entry with SET NX.
func (c *Cache) fillByID(ctx context.Context, t *store.Token) {
	val, err := encodeToken(t)
	if err != nil {
		return
	}
	_ = c.do(ctx, func(ctx context.Context) error {
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.SetNX(ctx, c.keys.id(t.ID), t.Hash, c.opt.InvalidTTL)
			p.SetNX(ctx, c.keys.hash(t.Hash), val, c.ttlFor(t))
			return nil
		})
		return err
	})
}
