package redisstreams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrBadURL is Dial's error for a Redis URL that does not parse.
var ErrBadURL = errors.New("bad Redis URL")

// dialTimeout bounds Dial's first ping.
const dialTimeout = 5 * time.Second

// Dial connects to the Redis at rawURL (redis://host:port/db), checks it
// answers a ping within 5 s, and returns the queue on it and what closes
// the connection. A URL that does not parse is ErrBadURL; on any error
// nothing is left open.
func Dial(ctx context.Context, rawURL string, o Options) (*Queue, func(), error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, nil, fmt.Errorf("redis %s: %w", opt.Addr, err)
	}
	return New(rdb, o), func() { _ = rdb.Close() }, nil
}
