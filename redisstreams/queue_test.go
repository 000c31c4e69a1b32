package redisstreams_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/orgscan/queue"
	"github.com/leakguard/leakguard/orgscan/queuetest"
	"github.com/leakguard/leakguard/redisstreams"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// sharedRedis connects to the shared test Redis or skips (fails with
// LEAKGUARD_REQUIRE_SERVICES=1).
func sharedRedis(t *testing.T) *redis.Client {
	t.Helper()
	_, rdb := testenv.RedisClient(t)
	return rdb
}

// newQueue returns a queue with a unique prefix whose keys are deleted
// after the test.
func newQueue(t *testing.T, rdb *redis.Client, o redisstreams.Options) *redisstreams.Queue {
	t.Helper()
	o.Prefix = "lgtest:rq:" + testenv.RandomHex(6)
	o.Log = zerolog.Nop()
	t.Cleanup(func() { testenv.DeleteKeys(t, rdb, o.Prefix+":") })
	return redisstreams.New(rdb, o)
}

var _ orgscan.Queue = (*redisstreams.Queue)(nil)

// TestConformance runs the orgscan.Queue suite on the shared Redis.
func TestConformance(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	queuetest.Run(t, func(t *testing.T, c queuetest.Config) orgscan.Queue {
		return newQueue(t, rdb, redisstreams.Options{MaxAttempts: c.MaxAttempts, IdleTimeout: c.IdleTimeout, Block: 50 * time.Millisecond})
	})
}

func jobs(run string, n int) []queue.Job {
	out := make([]queue.Job, n)
	for i := range out {
		id := fmt.Sprintf("%s:j%03d", run, i)
		out[i] = queue.Job{ID: id, Run: run, Payload: []byte(`{"n":` + fmt.Sprint(i) + `}`)}
	}
	return out
}

// collect reads a run's results until want distinct jobs have one.
func collect(t *testing.T, q *redisstreams.Queue, run string, want int) map[string][]queue.Result {
	t.Helper()
	got := map[string][]queue.Result{}
	after := ""
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d results", len(got), want)
		}
		rs, err := q.Results(context.Background(), run, after, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			got[r.JobID] = append(got[r.JobID], r)
			after = r.Cursor
		}
	}
	return got
}

func TestWorkersReclaimAbandonedJobs(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	q := newQueue(t, rdb, redisstreams.Options{IdleTimeout: 300 * time.Millisecond, Block: 100 * time.Millisecond})
	ctx := context.Background()
	const n = 40
	if err := q.Enqueue(ctx, jobs("run1", n)); err != nil {
		t.Fatal(err)
	}
	// a "worker" that takes three jobs and dies without acknowledging
	crashed, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "workers", Consumer: "dead-worker", Streams: []string{q.Keys()[0], ">"}, Count: 3,
	}).Result()
	if err != nil || len(crashed[0].Messages) != 3 {
		t.Fatalf("crash setup: %v %v", crashed, err)
	}
	// it had started them: one attempt each
	for _, m := range crashed[0].Messages {
		rdb.HIncrBy(ctx, q.Keys()[2], m.Values["id"].(string), 1)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := q.Work(ctx, queue.WorkOptions{Consumer: fmt.Sprint("w", i), ExitIdle: 700 * time.Millisecond},
				func(_ context.Context, d queue.Delivery) (queue.Outcome, error) {
					return queue.Outcome{Payload: []byte("done " + d.ID), State: map[string][]byte{d.ID: []byte("cp")}}, nil
				})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	got := collect(t, q, "run1", n)
	wg.Wait()
	for id, rs := range got {
		if len(rs) != 1 || rs[0].Status != queue.StatusDone || string(rs[0].Payload) != "done "+id {
			t.Errorf("job %s results = %+v, want one done", id, rs)
		}
		if cp, _ := q.State(ctx, id); string(cp) != "cp" {
			t.Errorf("job %s state = %q", id, cp)
		}
	}
	for _, m := range crashed[0].Messages {
		if rs := got[m.Values["id"].(string)]; rs[0].Attempts != 2 {
			t.Errorf("reclaimed job %v attempts = %d, want 2", m.Values["id"], rs[0].Attempts)
		}
	}
	if pending, length, err := q.Pending(ctx); err != nil || pending != 0 || length != 0 {
		t.Errorf("pending %d length %d err %v, want a drained queue", pending, length, err)
	}
}

func TestFailingJobIsDeadLettered(t *testing.T) {
	t.Parallel()
	rdb := sharedRedis(t)
	q := newQueue(t, rdb, redisstreams.Options{IdleTimeout: 150 * time.Millisecond, Block: 50 * time.Millisecond, MaxAttempts: 3})
	ctx := context.Background()
	js := jobs("run2", 3)
	if err := q.Enqueue(ctx, js); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	starts := map[string]int{}
	handler := func(_ context.Context, d queue.Delivery) (queue.Outcome, error) {
		mu.Lock()
		starts[d.ID]++
		mu.Unlock()
		if d.ID == js[1].ID {
			return queue.Outcome{}, errors.New("clone failed: repository not found")
		}
		return queue.Outcome{Payload: []byte("ok")}, nil
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = q.Work(ctx, queue.WorkOptions{Consumer: fmt.Sprint("w", i), ExitIdle: 600 * time.Millisecond}, handler)
		}()
	}
	got := collect(t, q, "run2", 3)
	wg.Wait()
	bad := got[js[1].ID]
	if len(bad) != 1 || bad[0].Status != queue.StatusDead || bad[0].Error != "clone failed: repository not found" || bad[0].Attempts != 3 {
		t.Errorf("failing job results = %+v, want one dead after 3 attempts with the error", bad)
	}
	if starts[js[1].ID] != 3 {
		t.Errorf("failing job started %d times, want 3", starts[js[1].ID])
	}
	dead, err := q.Dead(ctx)
	if err != nil || len(dead) != 1 || dead[0].JobID != js[1].ID {
		t.Errorf("dead letters = %+v, %v", dead, err)
	}
}
