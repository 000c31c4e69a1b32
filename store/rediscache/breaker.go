package rediscache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// breaker is a circuit breaker over Redis calls. Closed: every call goes
// through. After a failure it opens for cooldown, during which allow says
// no; then it lets exactly one probe through, and the probe's outcome closes
// it or opens it again.
type breaker struct {
	cooldown time.Duration
	now      func() time.Time
	log      zerolog.Logger

	mu        sync.Mutex
	failures  int       // consecutive failures; 0 means closed
	openUntil time.Time // no calls before this
	probing   bool      // a probe is in flight
}

func newBreaker(cooldown time.Duration, now func() time.Time, log zerolog.Logger) *breaker {
	return &breaker{cooldown: cooldown, now: now, log: log}
}

// allow reports whether a Redis call may be made now. Every true must be
// followed by exactly one done.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures == 0 {
		return true
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false
	}
	b.probing = true
	return true
}

// done records the outcome of an allowed call. redis.Nil (a miss) is a
// success. An error caused by the caller's own context ending says nothing
// about Redis and only releases a probe.
func (b *breaker) done(parent context.Context, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		if b.failures > 0 {
			b.log.Info().Int("failures", b.failures).Msg("rediscache: redis is back, cache enabled")
		}
		b.failures, b.probing = 0, false
	case parent.Err() != nil:
		b.probing = false
	default:
		if b.failures == 0 {
			b.log.Warn().Err(err).Dur("cooldown", b.cooldown).Msg("rediscache: redis failed, using the database only")
		}
		b.failures++
		b.openUntil = b.now().Add(b.cooldown)
		b.probing = false
	}
}

// isOpen reports whether Redis is currently being skipped.
func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures > 0
}
