package storeopen

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/rediscache"
)

// WithRedis puts the Redis cache at redisURL (store/rediscache, default
// key prefix "leakguard:") in front of next, or returns next unchanged when
// redisURL is "". It does not contact Redis: an unreachable Redis only
// means every lookup goes to the database until it answers. On error next
// is left open for the caller to close; on success closing the result
// closes next.
//
// The cache is not given the stores' clock (Options.Now): its cool-downs
// and fill ages measure real network time, and a test's frozen clock would
// keep a tripped breaker open forever.
func WithRedis(next store.Store, redisURL string, log zerolog.Logger) (store.Store, error) {
	if redisURL == "" {
		return next, nil
	}
	clog := log.With().Str("component", "rediscache").Logger()
	c, err := rediscache.New(next, rediscache.Options{URL: redisURL, Logger: clog})
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	log.Debug().Msg("redis cache enabled")
	return c, nil
}

// RedisReadyCheck returns a readiness check for st's Redis cache, if st
// has one. The store's own Ping ignores Redis (an outage must not make the
// store unusable), so readiness asks Redis separately.
func RedisReadyCheck(st store.Store) (func(context.Context) error, bool) {
	r, ok := st.(interface{ RedisPing(context.Context) error })
	if !ok {
		return nil, false
	}
	return r.RedisPing, true
}

// RedisLog adapts a zerolog.Logger to go-redis' logging interface, at
// debug level. go-redis v9 has one process-wide logger (redis.SetLogger):
// only a process's main function installs one, never library code.
type RedisLog struct{ Log zerolog.Logger }

// Printf logs a go-redis message at debug level.
func (l RedisLog) Printf(_ context.Context, format string, v ...any) {
	l.Log.Debug().Msgf(format, v...)
}
