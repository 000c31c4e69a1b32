package main

import (
	"context"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/redisstreams"
	"github.com/redis/go-redis/v9"
)

// openQueue connects to the Redis at rawURL and returns the organisation
// scan's job queue on it, and what closes the connection.
func openQueue(ctx context.Context, rawURL string, o redisstreams.Options) (*redisstreams.Queue, func(), error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, nil, usageError("bad Redis URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, nil, &exitError{code: exitFail, err: fmt.Errorf("redis %s: %w", opt.Addr, err)}
	}
	return redisstreams.New(rdb, o), func() { _ = rdb.Close() }, nil
}
