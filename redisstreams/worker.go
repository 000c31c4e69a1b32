package redisstreams

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leakguard/leakguard/internal/wait"
	"github.com/leakguard/leakguard/orgscan/queue"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// delivery is a queue.Delivery with the stream ID of its message.
type delivery struct {
	queue.Delivery
	streamID string
}

// Work consumes jobs until ctx ends (or, with ExitIdle, until the queue is
// drained), handling one at a time. Redis failures are logged and retried.
// A job is acknowledged only in the MULTI/EXEC that adds its result and
// saves its outcome's state; a handler error leaves it pending, to be
// reclaimed after the idle timeout (or dead-lettered after the last
// attempt).
func (q *Queue) Work(ctx context.Context, w queue.WorkOptions, h queue.Handler) error {
	if w.Consumer == "" {
		return queue.ErrNoConsumer
	}
	if err := q.ensureGroup(ctx); err != nil {
		return err
	}
	idleSince := time.Now()
	for ctx.Err() == nil {
		msg, ok, err := q.next(ctx, w.Consumer)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			q.o.Log.Warn().Err(err).Msg("queue read failed; retrying")
			_ = wait.Sleep(ctx, time.Second) // ctx ending ends the loop
			continue
		}
		if ok {
			q.process(ctx, w.Consumer, msg, h)
			idleSince = time.Now()
			continue
		}
		if w.ExitIdle > 0 && time.Since(idleSince) >= w.ExitIdle && q.drained(ctx) {
			return nil
		}
	}
	return nil
}

// drained reports whether no job is waiting or pending.
func (q *Queue) drained(ctx context.Context) bool {
	_, length, err := q.Pending(ctx)
	return err == nil && length == 0
}

// next returns a reclaimed job idle past the timeout, else a new one.
func (q *Queue) next(ctx context.Context, consumer string) (redis.XMessage, bool, error) {
	msgs, _, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: q.jobsKey(), Group: q.o.Group, Consumer: consumer,
		MinIdle: q.o.IdleTimeout, Start: "0-0", Count: 1,
	}).Result()
	if err != nil {
		return redis.XMessage{}, false, fmt.Errorf("redisstreams: xautoclaim: %w", err)
	}
	if len(msgs) > 0 {
		q.o.Log.Info().Str("job", str(msgs[0].Values["id"])).Str("consumer", consumer).Msg("reclaimed an abandoned job")
		return msgs[0], true, nil
	}
	res, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: q.o.Group, Consumer: consumer, Streams: []string{q.jobsKey(), ">"}, Count: 1, Block: q.o.Block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return redis.XMessage{}, false, nil
	}
	if err != nil {
		return redis.XMessage{}, false, fmt.Errorf("redisstreams: xreadgroup: %w", err)
	}
	for _, s := range res {
		if len(s.Messages) > 0 {
			return s.Messages[0], true, nil
		}
	}
	return redis.XMessage{}, false, nil
}

// process runs one job through the handler and settles it.
func (q *Queue) process(ctx context.Context, consumer string, msg redis.XMessage, h queue.Handler) {
	d := delivery{streamID: msg.ID, Delivery: queue.Delivery{Job: queue.Job{
		ID: str(msg.Values["id"]), Run: str(msg.Values["run"]), Payload: []byte(str(msg.Values["payload"])),
	}}}
	n, err := q.rdb.HIncrBy(ctx, q.attemptsKey(), d.ID, 1).Result()
	if err != nil {
		q.o.Log.Warn().Err(err).Str("job", d.ID).Msg("count attempt")
		return
	}
	d.Attempt = int(n)
	log := q.o.Log.With().Str("job", d.ID).Int("attempt", d.Attempt).Logger()
	if d.Attempt > q.o.MaxAttempts {
		last, _ := q.rdb.HGet(ctx, q.errorsKey(), d.ID).Result()
		if last == "" {
			last = "abandoned: the worker died or timed out on every attempt"
		}
		q.settle(ctx, log, func(p redis.Pipeliner) { q.deadOps(ctx, p, d, last) })
		return
	}
	stop := q.heartbeat(ctx, consumer, msg.ID)
	out, herr := h(ctx, d.Delivery)
	stop()
	switch {
	case herr == nil:
		q.settle(ctx, log, func(p redis.Pipeliner) { q.doneOps(ctx, p, d, out) })
	case ctx.Err() != nil:
		log.Info().Msg("shutting down: job left pending for another worker")
	default:
		log.Warn().Str("error", herr.Error()).Msg("job failed")
		if d.Attempt >= q.o.MaxAttempts {
			q.settle(ctx, log, func(p redis.Pipeliner) { q.deadOps(ctx, p, d, herr.Error()) })
			return
		}
		_ = q.rdb.HSet(ctx, q.errorsKey(), d.ID, herr.Error()).Err()
	}
}

// settle runs ops in one MULTI/EXEC; on failure the job stays pending.
func (q *Queue) settle(ctx context.Context, log zerolog.Logger, ops func(redis.Pipeliner)) {
	_, err := q.rdb.TxPipelined(context.WithoutCancel(ctx), func(p redis.Pipeliner) error { ops(p); return nil })
	if err != nil {
		log.Warn().Err(err).Msg("could not settle the job; it stays pending")
	}
}

// doneOps adds the result, saves state, acknowledges and deletes the job.
func (q *Queue) doneOps(ctx context.Context, p redis.Pipeliner, d delivery, out queue.Outcome) {
	q.resultOps(ctx, p, d, map[string]any{"job": d.ID, "status": queue.StatusDone, "payload": out.Payload, "attempts": d.Attempt})
	for k, v := range out.State {
		p.HSet(ctx, q.stateKey(), k, v)
	}
	q.finishOps(ctx, p, d)
}

// deadOps parks the job in the dead-letter stream and tells the run.
func (q *Queue) deadOps(ctx context.Context, p redis.Pipeliner, d delivery, lastErr string) {
	p.XAdd(ctx, &redis.XAddArgs{Stream: q.deadKey(), Values: map[string]any{
		"id": d.ID, "run": d.Run, "payload": d.Payload, "error": lastErr, "attempts": d.Attempt,
	}})
	q.resultOps(ctx, p, d, map[string]any{"job": d.ID, "status": queue.StatusDead, "error": lastErr, "attempts": d.Attempt})
	q.finishOps(ctx, p, d)
}

func (q *Queue) resultOps(ctx context.Context, p redis.Pipeliner, d delivery, v map[string]any) {
	if d.Run == "" {
		return
	}
	p.XAdd(ctx, &redis.XAddArgs{Stream: q.resultsKey(d.Run), Values: v})
	p.Expire(ctx, q.resultsKey(d.Run), q.o.ResultTTL)
}

func (q *Queue) finishOps(ctx context.Context, p redis.Pipeliner, d delivery) {
	p.XAck(ctx, q.jobsKey(), q.o.Group, d.streamID)
	p.XDel(ctx, q.jobsKey(), d.streamID)
	p.HDel(ctx, q.attemptsKey(), d.ID)
	p.HDel(ctx, q.errorsKey(), d.ID)
}

// heartbeat keeps a long job from being reclaimed: every third of the idle
// timeout it re-claims the message for this consumer (JUSTID: the delivery
// count is untouched), which resets its idle time.
func (q *Queue) heartbeat(ctx context.Context, consumer, id string) func() {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(q.o.IdleTimeout / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
					Stream: q.jobsKey(), Group: q.o.Group, Consumer: consumer, MinIdle: 0, Messages: []string{id},
				})
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
