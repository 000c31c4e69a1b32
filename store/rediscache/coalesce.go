package rediscache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxBatchKeys caps the keys of one coalesced MGET.
const maxBatchKeys = 256

// maxPendingReqs caps the requests waiting for an MGET; past it (Redis slow
// but not failing, and a flood of lookups) new ones read the database at
// once instead of queueing behind the backlog.
const maxPendingReqs = 4096

// mgetReq is one caller's share of a coalesced MGET.
type mgetReq struct {
	keys []string
	vals []any // len(keys) values when err is nil
	err  error
	done chan struct{}
	// abandoned is set when the caller stopped waiting (hedge or context);
	// a batch not yet sent leaves it out.
	abandoned atomic.Bool
}

// coalescer merges concurrent MGETs: while one MGET is in flight, the
// requests that arrive wait and then go out together in the next one, so N
// concurrent verifies cost about one round trip instead of N. Every batch
// is one Cache.do call (its own OpTimeout deadline, one breaker decision)
// run on its own goroutine, belonging to no single request, so one
// caller's cancellation cannot fail the others. A caller gives up waiting
// when its context ends, or after Options.HedgeAfter (errHedged): a slow
// or paused Redis then costs a request HedgeAfter and a database read, not
// the whole OpTimeout.
type coalescer struct {
	c *Cache

	mu      sync.Mutex
	pending []*mgetReq
	running bool
	wg      sync.WaitGroup // the goroutine sending batches, for Close
}

// mget returns the values of keys (nil for a missing key) as one MGET
// shared with concurrent callers, sent after mget was called.
func (co *coalescer) mget(ctx context.Context, keys []string) ([]any, error) {
	r := &mgetReq{keys: keys, done: make(chan struct{})}
	co.mu.Lock()
	if len(co.pending) >= maxPendingReqs {
		co.mu.Unlock()
		return nil, errHedged
	}
	co.pending = append(co.pending, r)
	lead := !co.running
	co.running = true
	if lead {
		co.wg.Add(1)
	}
	co.mu.Unlock()
	if lead {
		go func() {
			defer co.wg.Done()
			co.run()
		}()
	}
	hedge := time.NewTimer(co.c.opt.HedgeAfter)
	defer hedge.Stop()
	select {
	case <-r.done:
		return r.vals, r.err
	case <-hedge.C:
		r.abandoned.Store(true)
		return nil, errHedged
	case <-ctx.Done():
		r.abandoned.Store(true)
		return nil, fmt.Errorf("rediscache: waiting for MGET: %w", ctx.Err())
	}
}

// errHedged means a caller stopped waiting for a slow MGET (HedgeAfter).
var errHedged = errors.New("rediscache: MGET slower than HedgeAfter; reading the database")

// run sends batches of pending requests until none are pending (so no
// caller waits for more than the batch in flight and its own).
func (co *coalescer) run() {
	for {
		co.mu.Lock()
		if len(co.pending) == 0 {
			co.running = false
			co.mu.Unlock()
			return
		}
		batch, n := co.take()
		co.mu.Unlock()
		if len(batch) > 0 {
			co.send(batch, n)
		}
	}
}

// take removes up to maxBatchKeys keys' worth of requests from pending,
// dropping those whose callers have given up; the batch may be empty. The
// caller holds mu.
func (co *coalescer) take() ([]*mgetReq, int) {
	var batch []*mgetReq
	i, n := 0, 0
	for ; i < len(co.pending); i++ {
		r := co.pending[i]
		if r.abandoned.Load() {
			continue
		}
		if len(batch) > 0 && n+len(r.keys) > maxBatchKeys {
			break
		}
		batch = append(batch, r)
		n += len(r.keys)
	}
	co.pending = append([]*mgetReq(nil), co.pending[i:]...)
	return batch, n
}

// send runs one MGET for batch and completes every request in it.
func (co *coalescer) send(batch []*mgetReq, n int) {
	keys := make([]string, 0, n)
	for _, r := range batch {
		keys = append(keys, r.keys...)
	}
	var vals []any
	err := co.c.do(context.Background(), func(ctx context.Context) error {
		var e error
		vals, e = co.c.rdb.MGet(ctx, keys...).Result()
		if e == nil && len(vals) != len(keys) {
			e = fmt.Errorf("rediscache: MGET returned %d values for %d keys", len(vals), len(keys))
		}
		return e
	})
	off := 0
	for _, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.vals = vals[off : off+len(r.keys) : off+len(r.keys)]
		}
		off += len(r.keys)
		close(r.done)
	}
}
