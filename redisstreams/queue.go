package redisstreams

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leakguard/leakguard/orgscan/queue"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Options configures a Queue.
type Options struct {
	Prefix      string        // key prefix (default "leakguard:github")
	Group       string        // consumer group (default "workers")
	IdleTimeout time.Duration // reclaim pending jobs idle this long (default 5m)
	MaxAttempts int           // starts of a job before it is dead-lettered (default 3)
	Block       time.Duration // XREADGROUP block time (default 1s)
	ResultTTL   time.Duration // result streams expire after this (default a week)
	Log         zerolog.Logger
}

// Queue is the job queue (orgscan.Queue). It is safe for concurrent use.
type Queue struct {
	rdb redis.UniversalClient
	o   Options
}

// New returns a Queue over rdb.
func New(rdb redis.UniversalClient, o Options) *Queue {
	if o.Prefix == "" {
		o.Prefix = "leakguard:github"
	}
	if o.Group == "" {
		o.Group = "workers"
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Block <= 0 {
		o.Block = time.Second
	}
	if o.ResultTTL <= 0 {
		o.ResultTTL = 7 * 24 * time.Hour
	}
	return &Queue{rdb: rdb, o: o}
}

// Key names.
func (q *Queue) jobsKey() string            { return q.o.Prefix + ":jobs" }
func (q *Queue) deadKey() string            { return q.o.Prefix + ":dead" }
func (q *Queue) attemptsKey() string        { return q.o.Prefix + ":attempts" }
func (q *Queue) errorsKey() string          { return q.o.Prefix + ":errors" }
func (q *Queue) stateKey() string           { return q.o.Prefix + ":state" }
func (q *Queue) resultsKey(r string) string { return q.o.Prefix + ":results:" + r }

// Keys returns every key the queue uses besides result streams (for tests
// and cleanup).
func (q *Queue) Keys() []string {
	return []string{q.jobsKey(), q.deadKey(), q.attemptsKey(), q.errorsKey(), q.stateKey()}
}

// ensureGroup creates the consumer group (reading the stream from its
// start) unless it exists.
func (q *Queue) ensureGroup(ctx context.Context) error {
	err := q.rdb.XGroupCreateMkStream(ctx, q.jobsKey(), q.o.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("redisstreams: create group: %w", err)
	}
	return nil
}

// Enqueue adds jobs to the stream (creating the group first).
func (q *Queue) Enqueue(ctx context.Context, jobs []queue.Job) error {
	if err := q.ensureGroup(ctx); err != nil {
		return err
	}
	pipe := q.rdb.Pipeline()
	for _, j := range jobs {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: q.jobsKey(), Values: map[string]any{
			"id": j.ID, "run": j.Run, "payload": j.Payload,
		}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redisstreams: enqueue: %w", err)
	}
	return nil
}

// State returns a state value (saved by SetState or with a completed
// job's outcome), or nil.
func (q *Queue) State(ctx context.Context, key string) ([]byte, error) {
	v, err := q.rdb.HGet(ctx, q.stateKey(), key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redisstreams: state %s: %w", key, err)
	}
	return v, nil
}

// SetState saves a state value.
func (q *Queue) SetState(ctx context.Context, key string, value []byte) error {
	if err := q.rdb.HSet(ctx, q.stateKey(), key, value).Err(); err != nil {
		return fmt.Errorf("redisstreams: set state %s: %w", key, err)
	}
	return nil
}

// Results reads a run's results after the cursor (a stream ID; "" from
// the start), blocking up to block (at least a millisecond) for new ones.
func (q *Queue) Results(ctx context.Context, run, after string, block time.Duration) ([]queue.Result, error) {
	if after == "" {
		after = "0"
	}
	block = max(block, time.Millisecond) // BLOCK 0 would wait forever
	res, err := q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{q.resultsKey(run), after}, Count: 500, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redisstreams: read results: %w", err)
	}
	var out []queue.Result
	for _, s := range res {
		for _, m := range s.Messages {
			out = append(out, toResult(m))
		}
	}
	return out, nil
}

func toResult(m redis.XMessage) queue.Result {
	n, _ := strconv.Atoi(str(m.Values["attempts"]))
	return queue.Result{
		Cursor: m.ID, JobID: str(m.Values["job"]), Status: str(m.Values["status"]),
		Payload: []byte(str(m.Values["payload"])), Error: str(m.Values["error"]), Attempts: n,
	}
}

// DropRun deletes a run's result stream.
func (q *Queue) DropRun(ctx context.Context, run string) error {
	if err := q.rdb.Del(ctx, q.resultsKey(run)).Err(); err != nil {
		return fmt.Errorf("redisstreams: drop run %s: %w", run, err)
	}
	return nil
}

// Dead returns the dead-letter entries (job ID → error), oldest first.
func (q *Queue) Dead(ctx context.Context) ([]queue.Result, error) {
	msgs, err := q.rdb.XRange(ctx, q.deadKey(), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("redisstreams: read dead letters: %w", err)
	}
	out := make([]queue.Result, 0, len(msgs))
	for _, m := range msgs {
		r := toResult(m)
		r.JobID, r.Status = str(m.Values["id"]), queue.StatusDead
		out = append(out, r)
	}
	return out, nil
}

// Pending returns how many jobs are delivered but not acknowledged, and how
// many are in the stream at all.
func (q *Queue) Pending(ctx context.Context) (pending, length int64, err error) {
	p, err := q.rdb.XPending(ctx, q.jobsKey(), q.o.Group).Result()
	if err != nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
		return 0, 0, fmt.Errorf("redisstreams: pending: %w", err)
	}
	if p != nil {
		pending = p.Count
	}
	length, err = q.rdb.XLen(ctx, q.jobsKey()).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("redisstreams: length: %w", err)
	}
	return pending, length, nil
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
