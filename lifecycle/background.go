package lifecycle

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
)

// jobTimeout bounds one background store write.
const jobTimeout = 5 * time.Second

// maxTracked bounds each generation of the last-write memory; past it the
// generation starts over (a token may then be written twice in an
// interval, never more often).
const maxTracked = 1 << 20

// Pending last_used_at writes are sent every touchEvery, touchBatch at a
// time with a pause of touchPause between batches: when many distinct
// tokens are verified (100,000 a minute is 1,700 writes a second) the
// writes cost one store call per batch, and come in small pieces, so that
// they never hold the CPU the requests wait for more than about a
// millisecond (SQLite spends ~30 µs a row on a database of 100,000
// tokens; a process pinned to one core runs one goroutine at a time, and
// batches of 50 measured a p99 of 4–6 ms for requests there against 3.6–5
// with 20: benchmarks/README.md, issue 16), even in a burst (every token
// verified in a warm-up a minute ago). That still writes over 7,000 a
// second.
const (
	touchEvery = time.Second
	touchBatch = 20
	touchPause = 2 * time.Millisecond
)

// maxPendingTouches bounds the last_used_at writes waiting for the store;
// past it new ones are dropped (and counted in a warning).
const maxPendingTouches = 200000

// background runs Verify's store writes (last_used_at, verified_invalid
// events) off the request path on one lazily started worker. Writes are
// rate-limited per token (recent), last_used_at writes are coalesced per
// token and sent in batches (store.BatchToucher: one transaction for many
// tokens, so verifying many distinct tokens does not cost a durable commit
// each), and verified_invalid events go through a bounded queue. What does
// not fit is dropped, with at most one warning a minute saying how much.
type background struct {
	st       store.Store
	log      zerolog.Logger
	interval time.Duration
	size     int

	mu      sync.Mutex
	touched recent                 // token id → last last_used_at due (scheduled, or skipped while busy)
	written recent                 // token id → last last_used_at scheduled, over busyFactor intervals
	demand  perSecond              // last_used_at writes due, a second
	invalid recent                 // token id → last verified_invalid event
	pending map[string]store.Touch // last_used_at writes not yet sent, by token id
	jobs    chan func(context.Context)
	kick    chan struct{} // pending has something
	done    chan struct{}
	closed  bool
	dropped int       // writes dropped since the last warning
	warned  time.Time // last drop warning (wall clock)
}

func newBackground(st store.Store, log zerolog.Logger, interval time.Duration, size int) *background {
	return &background{
		st: st, log: log, interval: interval, size: size,
		touched: recent{interval: interval}, invalid: recent{interval: interval},
		written: recent{interval: busyFactor * interval},
		pending: map[string]store.Touch{},
	}
}

// A process is busy when more than busyRate distinct tokens a second are
// due a last_used_at write (one per interval each: 30,000 tokens verified
// a minute); while it is, a token's last_used_at is written at most once
// every busyFactor intervals, so that many active tokens do not cost
// their verifier a store write each a minute (benchmarks/README.md, issue
// 16). A token's first write is never held back.
const (
	busyRate   = 500
	busyFactor = 10
)

// touch schedules a last_used_at write for the token with that id and hash
// unless one was scheduled for it within the interval (within busyFactor
// intervals while busy).
func (b *background) touch(id, hash string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || !b.touched.due(id, at) {
		return
	}
	busy := b.demand.add(at) > busyRate
	if !b.written.due(id, at) {
		if busy {
			return
		}
		b.written.mark(id, at)
	}
	if len(b.pending) >= maxPendingTouches {
		b.drop()
		return
	}
	b.start()
	if cur, ok := b.pending[id]; !ok || at.After(cur.At) {
		b.pending[id] = store.Touch{ID: id, Hash: hash, At: at}
	}
	select {
	case b.kick <- struct{}{}:
	default: // the worker has been kicked already
	}
}

// invalidSeen schedules a verified_invalid event unless one was scheduled
// for the token within the interval.
func (b *background) invalidSeen(id string, at time.Time, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || !b.invalid.due(id, at) {
		return
	}
	b.start()
	select {
	case b.jobs <- func(ctx context.Context) {
		ev := store.Event{TokenID: id, Kind: store.EventVerifiedInvalid, At: at, Detail: msg}
		if err := b.st.AppendEvent(ctx, ev); err != nil {
			b.log.Warn().Err(err).Str("token_id", id).Msg("record verified_invalid event")
		}
	}:
	default:
		b.drop()
	}
}

// drop counts a dropped write and warns at most once a minute; the
// caller holds mu.
func (b *background) drop() {
	b.dropped++
	if now := time.Now(); now.Sub(b.warned) >= time.Minute {
		b.log.Warn().Int("dropped", b.dropped).Msg("background write queue full; dropping writes")
		b.warned, b.dropped = now, 0
	}
}

// start starts the worker once; the caller holds mu.
func (b *background) start() {
	if b.jobs != nil {
		return
	}
	b.jobs, b.kick, b.done = make(chan func(context.Context), b.size), make(chan struct{}, 1), make(chan struct{})
	go b.run(b.jobs, b.kick, b.done)
}

func (b *background) run(jobs <-chan func(context.Context), kick <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	var due <-chan time.Time // pending touches are sent when it fires
	for {
		select {
		case job, ok := <-jobs:
			if !ok {
				b.flushTouches() // close: what is still pending
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
			job(ctx)
			cancel()
		case <-kick:
			if due == nil {
				due = time.After(touchEvery)
			}
		case <-due:
			due = nil
			b.flushTouches()
		}
	}
}

// flushTouches writes every pending last_used_at, a batch at a time,
// pausing between batches unless closing.
func (b *background) flushTouches() {
	b.mu.Lock()
	pending := b.pending
	b.pending = make(map[string]store.Touch, len(pending))
	closing := b.closed
	b.mu.Unlock()
	batch := make([]store.Touch, 0, min(len(pending), touchBatch))
	for _, t := range pending {
		batch = append(batch, t)
		if len(batch) == touchBatch {
			b.writeTouches(batch)
			batch = batch[:0]
			if !closing {
				time.Sleep(touchPause)
			}
		}
	}
	if len(batch) > 0 {
		b.writeTouches(batch)
	}
}

// writeTouches sends one batch: in one call when the store can take it,
// else one TouchLastUsed each.
func (b *background) writeTouches(ts []store.Touch) {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	if bt, ok := b.st.(store.BatchToucher); ok {
		if err := bt.TouchLastUsedMany(ctx, ts); err != nil {
			b.log.Warn().Err(err).Int("tokens", len(ts)).Msg("update last_used_at")
		}
		return
	}
	for _, t := range ts {
		if err := b.st.TouchLastUsed(ctx, t.ID, t.At); err != nil && !errors.Is(err, store.ErrNotFound) {
			b.log.Warn().Err(err).Str("token_id", t.ID).Msg("update last_used_at")
		}
	}
}

// close stops accepting jobs, then waits for the queued ones and the
// pending last_used_at writes.
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

// recent remembers, per token, when a write was last scheduled, in two
// generations of one interval each, so that memory holds only the tokens
// seen in the last two intervals, whatever their number.
type recent struct {
	interval time.Duration
	start    time.Time            // the current generation's start
	cur, old map[string]time.Time // this generation's and the previous one's
}

// due reports whether a write for id at at is due (none within the
// interval) and, if so, records it. The caller holds the lock.
func (r *recent) due(id string, at time.Time) bool {
	r.roll(at)
	last, ok := r.cur[id]
	if !ok {
		last, ok = r.old[id]
	}
	if ok && at.Sub(last) < r.interval && at.Sub(last) > -r.interval {
		return false
	}
	r.cur[id] = at
	return true
}

// mark records a write for id at at. The caller holds the lock.
func (r *recent) mark(id string, at time.Time) {
	r.roll(at)
	r.cur[id] = at
}

// roll starts a new generation when the current one is an interval old
// (or the clock went back, or it is full).
func (r *recent) roll(at time.Time) {
	if r.cur == nil || at.Sub(r.start) >= r.interval || at.Before(r.start.Add(-r.interval)) || len(r.cur) >= maxTracked {
		r.old, r.cur, r.start = r.cur, make(map[string]time.Time), at
	}
}

// perSecond counts events in windows of a second.
type perSecond struct {
	start     time.Time
	cur, prev int
}

// add counts an event at at and returns the rate: the larger of this
// window's count and the previous one's.
func (p *perSecond) add(at time.Time) int {
	if d := at.Sub(p.start); d >= time.Second || d < 0 {
		p.prev = 0
		if d >= 0 && d < 2*time.Second {
			p.prev = p.cur
		}
		p.cur, p.start = 0, at
	}
	p.cur++
	return max(p.cur, p.prev)
}
