package lifecycle

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
)

// jobTimeout bounds one background store write.
const jobTimeout = 5 * time.Second

// maxTracked bounds the last-write maps; past it, stale entries are pruned.
const maxTracked = 100000

// background runs Verify's store writes (last_used_at, verified_invalid
// events) off the request path on one lazily started worker fed by a
// bounded queue. Writes are rate-limited per token by the last-write maps
// and dropped when the queue is full.
type background struct {
	st       store.Store
	log      zerolog.Logger
	interval time.Duration
	size     int

	mu      sync.Mutex
	touched map[string]time.Time // token id → last last_used_at write
	invalid map[string]time.Time // token id → last verified_invalid event
	jobs    chan func(context.Context)
	done    chan struct{}
	closed  bool
}

func newBackground(st store.Store, log zerolog.Logger, interval time.Duration, size int) *background {
	return &background{
		st: st, log: log, interval: interval, size: size,
		touched: map[string]time.Time{}, invalid: map[string]time.Time{},
	}
}

// touch schedules a last_used_at write unless one was scheduled for the
// token within the interval.
func (b *background) touch(id string, at time.Time) {
	b.submit(b.touched, id, at, func(ctx context.Context) {
		if err := b.st.TouchLastUsed(ctx, id, at); err != nil {
			b.log.Warn().Err(err).Str("token_id", id).Msg("update last_used_at")
		}
	})
}

// invalidSeen schedules a verified_invalid event unless one was scheduled
// for the token within the interval.
func (b *background) invalidSeen(id string, at time.Time, msg string) {
	b.submit(b.invalid, id, at, func(ctx context.Context) {
		ev := store.Event{TokenID: id, Kind: store.EventVerifiedInvalid, At: at, Detail: msg}
		if err := b.st.AppendEvent(ctx, ev); err != nil {
			b.log.Warn().Err(err).Str("token_id", id).Msg("record verified_invalid event")
		}
	})
}

// submit enqueues job if the token's last write in seen is older than the
// interval; it never blocks.
func (b *background) submit(seen map[string]time.Time, id string, at time.Time, job func(context.Context)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if last, ok := seen[id]; ok && at.Sub(last) < b.interval && at.Sub(last) > -b.interval {
		return
	}
	if b.jobs == nil {
		b.jobs, b.done = make(chan func(context.Context), b.size), make(chan struct{})
		go b.run(b.jobs, b.done)
	}
	select {
	case b.jobs <- job:
		if len(seen) >= maxTracked {
			prune(seen, at, b.interval)
		}
		seen[id] = at
	default:
		b.log.Warn().Str("token_id", id).Msg("background write queue full; dropping write")
	}
}

// prune drops entries older than the interval, and everything if that is
// not enough.
func prune(seen map[string]time.Time, now time.Time, interval time.Duration) {
	for id, t := range seen {
		if now.Sub(t) >= interval {
			delete(seen, id)
		}
	}
	if len(seen) >= maxTracked {
		clear(seen)
	}
}

func (b *background) run(jobs <-chan func(context.Context), done chan<- struct{}) {
	defer close(done)
	for job := range jobs {
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		job(ctx)
		cancel()
	}
}

// close stops accepting jobs, then waits for the queued ones.
func (b *background) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	jobs, done := b.jobs, b.done
	b.mu.Unlock()
	if jobs != nil {
		close(jobs)
		<-done
	}
}
