package rediscache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// write is one overwrite of a hash entry waiting to reach Redis.
type write struct {
	hash  string
	id    string // token id, for the id→hash pointer
	value []byte
	ttl   time.Duration
	valid bool // the value says the token is valid
}

// queue holds overwrites that failed, keyed by hash. While a hash is queued
// the cache bypasses Redis for it. It never replaces a queued invalid state
// with a valid one (tokens only go from valid to invalid).
type queue struct {
	max int
	n   atomic.Int64 // len(pending), read without the lock on every lookup

	mu      sync.Mutex
	pending map[string]*write
}

func newQueue(max int) *queue { return &queue{max: max, pending: map[string]*write{}} }

// has reports whether hash has a queued overwrite.
func (q *queue) has(hash string) bool {
	if q.n.Load() == 0 {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.pending[hash]
	return ok
}

// add queues w unless a queued invalid state would be replaced by a valid
// one. It returns false when the queue is full.
func (q *queue) add(w *write) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if old, ok := q.pending[w.hash]; ok {
		if old.valid || !w.valid {
			q.pending[w.hash] = w
		}
		return true
	}
	if len(q.pending) >= q.max {
		return false
	}
	q.pending[w.hash] = w
	q.n.Store(int64(len(q.pending)))
	return true
}

// snapshot returns the queued writes.
func (q *queue) snapshot() []*write {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]*write, 0, len(q.pending))
	for _, w := range q.pending {
		out = append(out, w)
	}
	return out
}

// remove drops w if it is still the queued write for its hash.
func (q *queue) remove(w *write) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending[w.hash] == w {
		delete(q.pending, w.hash)
		q.n.Store(int64(len(q.pending)))
	}
}

// len is the number of queued writes.
func (q *queue) len() int { return int(q.n.Load()) }

// retryLoop rewrites queued entries every RetryInterval until stop closes.
func (c *Cache) retryLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(c.opt.RetryInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			c.flush(context.Background())
		}
	}
}

// flush tries every queued write once, stopping at the first failure (the
// breaker is then open). It returns how many remain queued.
func (c *Cache) flush(ctx context.Context) int {
	for _, w := range c.queue.snapshot() {
		if ctx.Err() != nil {
			break
		}
		out, ok := c.current(ctx, w)
		if !ok {
			continue
		}
		err := c.do(ctx, func(ctx context.Context) error {
			if out.valid {
				return c.writeEntry(ctx, out)
			}
			// A revocation that reaches Redis late: tell the near caches
			// too (the revoking call waited its lease and returned).
			_, err := c.ch.push(ctx, out, false)
			return err
		})
		if err != nil {
			break
		}
		c.queue.remove(w)
	}
	return c.queue.len()
}

// current returns what to write for queued w. An invalid state is final and
// written as is. A valid state may have been queued long ago (an outage
// longer than InvalidTTL could let it land after another process's
// revocation entry expired), so it is re-read from next first.
func (c *Cache) current(ctx context.Context, w *write) (*write, bool) {
	if !w.valid {
		return w, true
	}
	t, err := c.Store.TokenByID(ctx, w.id)
	if err != nil {
		return nil, false
	}
	val, err := encodeToken(t)
	if err != nil {
		return nil, false
	}
	return &write{hash: t.Hash, id: t.ID, value: val, ttl: c.ttlFor(t), valid: t.Valid}, true
}
