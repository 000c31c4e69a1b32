package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/rediscache"
)

// wrapRedis puts the --redis cache (store/rediscache, default key prefix
// "leakguard:") in front of next, or returns next unchanged when redisURL
// is "". It does not contact Redis: an unreachable Redis only means every
// lookup goes to the database until it answers. On error next is left open
// for the caller to close; on success closing the result closes next.
//
// now is the domain clock and is deliberately not handed to the cache: its
// cool-downs and fill ages measure real network time, and a test's frozen
// clock would keep a tripped breaker open forever.
func wrapRedis(_ context.Context, next store.Store, redisURL string, log zerolog.Logger, _ func() time.Time) (store.Store, error) {
	if redisURL == "" {
		return next, nil
	}
	clog := log.With().Str("component", "rediscache").Logger()
	// go-redis logs dial failures through a process-wide logger straight to
	// stderr; route it to ours at debug level (the cache already warns once
	// per outage). This is the one place that knows about the process.
	redis.SetLogger(redisLogger{clog})
	c, err := rediscache.New(next, rediscache.Options{URL: redisURL, Logger: clog})
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	log.Debug().Msg("redis cache enabled")
	return c, nil
}

// redisReadyCheck returns a /readyz check for st's Redis cache, if st has
// one. The store's own Ping ignores Redis (an outage must not make the
// store unusable), so readiness asks Redis separately.
func redisReadyCheck(st store.Store) (func(context.Context) error, bool) {
	r, ok := st.(interface{ RedisPing(context.Context) error })
	if !ok {
		return nil, false
	}
	return r.RedisPing, true
}

// redisLogger adapts zerolog to go-redis' logging interface.
type redisLogger struct{ log zerolog.Logger }

// Printf logs a go-redis message at debug level.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug().Msgf(format, v...)
}
