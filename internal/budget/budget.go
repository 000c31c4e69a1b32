// Package budget bounds the bytes that work in flight holds at once. A
// caller that can wait (a history scan's blob reader) uses Acquire; one
// that must answer now (an HTTP handler that refuses with 503) uses
// TryAcquire. Both release with Release. It knows nothing of the project.
package budget

import (
	"context"
	"sync"
)

// Bytes is a byte budget of a fixed limit. It is safe for concurrent use.
type Bytes struct {
	mu    sync.Mutex
	limit int64
	used  int64
	freed chan struct{} // closed (then dropped) by the next Release; nil when no one waits
}

// New returns a budget of limit bytes.
func New(limit int64) *Bytes { return &Bytes{limit: limit} }

// Acquire reserves n bytes, waiting until they fit. An item larger than
// the whole budget is admitted alone, once nothing else is held, so that
// it never waits forever. When ctx ends before the bytes fit, Acquire
// returns ctx's error and reserves nothing; bytes that fit at once are
// reserved even if ctx has ended.
func (b *Bytes) Acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	for b.used > 0 && b.used+n > b.limit {
		if err := ctx.Err(); err != nil {
			b.mu.Unlock()
			return err
		}
		if b.freed == nil {
			b.freed = make(chan struct{})
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
		}
		b.mu.Lock()
	}
	b.used += n
	b.mu.Unlock()
	return nil
}

// TryAcquire reserves n bytes if they fit now and reports whether it did.
// It never waits and never goes over the limit, not even for an item
// alone: a caller that cannot wait refuses what does not fit.
func (b *Bytes) TryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.limit-b.used {
		return false
	}
	b.used += n
	return true
}

// Release returns n reserved bytes and wakes the callers waiting in
// Acquire.
func (b *Bytes) Release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.freed != nil {
		close(b.freed)
		b.freed = nil
	}
}

// InUse reports the bytes reserved now.
func (b *Bytes) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
