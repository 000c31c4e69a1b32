package rediscache

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// watchPage is how many revocation log entries one read takes.
const watchPage = 500

// watchSkew is added to the catch-up window for clock differences between
// the revoking hosts and this one.
const watchSkew = time.Minute

// watcher follows the wrapped store's revocation log
// (store.RevocationFeed) every Options.RevocationPoll, so that a
// revocation this process was not told of over Redis — the revoking
// process could not reach Redis, or died before its queued overwrite
// landed, or Redis lost it — takes effect here anyway: for each new entry
// it reads the token from the database, writes its state to Redis (or,
// when Redis cannot take it, queues the write, which makes this process
// bypass Redis for that hash), and only then drops the hash from the near
// cache, refusing reads in flight. So whatever Redis does, this process
// stops reporting a revoked token valid within about one poll of the
// revocation's commit, as long as it can read the database.
//
// On start (New) it reads the part of the log that can still have stale
// Redis entries — revocations of the last Options.TTL, plus a minute for
// clock differences — and does the same for each; until that read has
// succeeded, lookups bypass Redis.
type watcher struct {
	c     *Cache
	feed  store.RevocationFeed
	ready atomic.Bool // the start-up read is done
	last  int64       // newest entry applied; owned by the loop
	stop  chan struct{}
	done  chan struct{}
	warn  time.Time // last warning logged
}

// newWatcher makes the start-up read (bounded by catchUpBudget) and starts
// following the log.
func newWatcher(c *Cache, feed store.RevocationFeed) *watcher {
	w := &watcher{c: c, feed: feed, stop: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), w.budget())
	if err := w.catchUp(ctx); err != nil {
		w.warnf(err)
	}
	cancel()
	go w.loop()
	return w
}

// budget bounds one round of reading and applying the log.
func (w *watcher) budget() time.Duration { return 10 * w.c.opt.OpTimeout }

// close stops the loop.
func (w *watcher) close() {
	close(w.stop)
	<-w.done
}

// loop polls the log until close.
func (w *watcher) loop() {
	defer close(w.done)
	t := time.NewTicker(w.c.opt.RevocationPoll)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.budget())
		var err error
		if w.ready.Load() {
			err = w.poll(ctx)
		} else {
			err = w.catchUp(ctx)
		}
		cancel()
		if err != nil {
			w.warnf(err)
		}
	}
}

// warnf logs err at most once a minute.
func (w *watcher) warnf(err error) {
	if now := time.Now(); now.Sub(w.warn) >= time.Minute {
		w.warn = now
		w.c.log.Warn().Err(err).Msg("rediscache: cannot follow the revocation log; retrying")
	}
}

// catchUp applies the recent part of the log and marks the watcher ready.
func (w *watcher) catchUp(ctx context.Context) error {
	head, err := w.feed.RevocationHead(ctx)
	if err != nil {
		return fmt.Errorf("rediscache: revocation log: %w", err)
	}
	q := store.RevocationQuery{Since: w.c.opt.Now().Add(-w.c.opt.TTL - watchSkew), Limit: watchPage}
	last, err := w.apply(ctx, q)
	if err != nil {
		return err
	}
	w.last = max(head, last)
	w.ready.Store(true)
	return nil
}

// poll applies the entries after the last one applied.
func (w *watcher) poll(ctx context.Context) error {
	last, err := w.apply(ctx, store.RevocationQuery{After: w.last, Limit: watchPage})
	w.last = max(w.last, last)
	return err
}

// apply reads the entries q selects, page after page, and applies each;
// it returns the newest entry applied (q.After if none), also on error.
func (w *watcher) apply(ctx context.Context, q store.RevocationQuery) (int64, error) {
	last := q.After
	for {
		rs, err := w.feed.Revocations(ctx, q)
		if err != nil {
			return last, fmt.Errorf("rediscache: revocation log: %w", err)
		}
		for _, r := range rs {
			if err := w.heal(ctx, r.Hash); err != nil {
				return last, err
			}
			last = r.Seq
		}
		if len(rs) < q.Limit {
			return last, nil
		}
		q.After = last
	}
}

// heal makes hash's Redis entry hold the database's state (or queues that
// write, and so bypasses Redis for it), then drops it from the near cache.
func (w *watcher) heal(ctx context.Context, hash string) error {
	if !leakguard.ValidHash(hash) {
		return nil
	}
	t, err := w.c.Store.TokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.c.near.invalidate(hash)
		return nil
	case err != nil:
		return fmt.Errorf("rediscache: revocation log: read %s: %w", leakguard.ShortHash(hash), err)
	}
	w.c.commit(ctx, t, tellLocal)
	return nil
}

// Cache implements store.RevocationFeed by forwarding to next.
var _ store.RevocationFeed = (*Cache)(nil)

// RevocationHead is next's (errors.ErrUnsupported when next keeps no
// revocation log).
func (c *Cache) RevocationHead(ctx context.Context) (int64, error) {
	if c.watch == nil {
		return 0, fmt.Errorf("rediscache: revocation head: %w", errors.ErrUnsupported)
	}
	return c.watch.feed.RevocationHead(ctx)
}

// Revocations is next's (errors.ErrUnsupported when next keeps no
// revocation log).
func (c *Cache) Revocations(ctx context.Context, q store.RevocationQuery) ([]store.Revocation, error) {
	if c.watch == nil {
		return nil, fmt.Errorf("rediscache: revocations: %w", errors.ErrUnsupported)
	}
	return c.watch.feed.Revocations(ctx, q)
}
