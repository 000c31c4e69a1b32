// Package queuetest is the conformance suite of orgscan.Queue: every
// implementation (package redisstreams, and Memory, the in-memory queue
// orgscan's own tests use) runs it, so the coordinator and the workers see
// the same queue whichever one carries the jobs.
//
// Run(t, newQueue) runs every case as a parallel subtest on a fresh, empty
// queue from newQueue, configured with the case's Config.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/orgscan/queue"
)

// Config is what a case asks of the queue under test.
type Config struct {
	// MaxAttempts is how many starts a job gets before it is dead-lettered
	// (0: 3).
	MaxAttempts int
	// IdleTimeout is how long a failed or abandoned job waits before it is
	// started again.
	IdleTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	return c
}

// Run runs the suite. Each call of newQueue must return a new, empty
// queue configured by c; it cleans up through t.Cleanup.
func Run(t *testing.T, newQueue func(t *testing.T, c Config) orgscan.Queue) {
	t.Helper()
	cases := []struct {
		name string
		c    Config
		fn   func(t *testing.T, q orgscan.Queue)
	}{
		{"EveryJobOnce", Config{IdleTimeout: 5 * time.Second}, testEveryJobOnce},
		{"RetryThenDone", Config{MaxAttempts: 3, IdleTimeout: 100 * time.Millisecond}, testRetryThenDone},
		{"DeadLetter", Config{MaxAttempts: 3, IdleTimeout: 100 * time.Millisecond}, testDeadLetter},
		{"ResultsInOrder", Config{IdleTimeout: 5 * time.Second}, testResultsInOrder},
		{"RunsApart", Config{IdleTimeout: 5 * time.Second}, testRunsApart},
		{"State", Config{}, testState},
		{"NoConsumer", Config{}, testNoConsumer},
		{"CancelStops", Config{}, testCancelStops},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newQueue(t, tc.c.withDefaults()))
		})
	}
}

// jobs returns n jobs of run with IDs "<run>:j000"...
func jobs(run string, n int) []queue.Job {
	out := make([]queue.Job, n)
	for i := range out {
		out[i] = queue.Job{ID: fmt.Sprintf("%s:j%03d", run, i), Run: run, Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}
	}
	return out
}

// enqueue adds js or fails the test.
func enqueue(t *testing.T, q orgscan.Queue, js []queue.Job) {
	t.Helper()
	if err := q.Enqueue(context.Background(), js); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

// work runs n consumers with h until the queue is drained (ExitIdle) and
// returns a wait for them that fails the test on an error.
func work(t *testing.T, q orgscan.Queue, n int, h queue.Handler) (wait func()) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			w := queue.WorkOptions{Consumer: fmt.Sprintf("c%d", i), ExitIdle: 400 * time.Millisecond}
			if err := q.Work(context.Background(), w, h); err != nil {
				t.Errorf("Work: %v", err)
			}
		})
	}
	return wg.Wait
}

// collect reads run's results until want distinct jobs have one, and
// returns them by job ID, in the order read.
func collect(t *testing.T, q orgscan.Queue, run string, want int) (map[string][]queue.Result, []queue.Result) {
	t.Helper()
	got := map[string][]queue.Result{}
	var all []queue.Result
	after := ""
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d jobs have a result", len(got), want)
		}
		rs, err := q.Results(context.Background(), run, after, 100*time.Millisecond)
		if err != nil {
			t.Fatalf("Results: %v", err)
		}
		for _, r := range rs {
			got[r.JobID] = append(got[r.JobID], r)
			all = append(all, r)
			after = r.Cursor
		}
	}
	return got, all
}

// done is a handler that succeeds with "done <id>" and a state value.
func done(_ context.Context, d queue.Delivery) (queue.Outcome, error) {
	return queue.Outcome{Payload: []byte("done " + d.ID), State: map[string][]byte{"s:" + d.ID: []byte("v " + d.ID)}}, nil
}

// testEveryJobOnce: with several consumers, every job gets exactly one
// done result on its first attempt, with its outcome's payload, and its
// outcome's state is saved; the consumers return once the queue drains.
func testEveryJobOnce(t *testing.T, q orgscan.Queue) {
	const n = 20
	js := jobs("r1", n)
	enqueue(t, q, js)
	wait := work(t, q, 3, done)
	got, _ := collect(t, q, "r1", n)
	wait()
	ctx := context.Background()
	for _, j := range js {
		rs := got[j.ID]
		if len(rs) != 1 || rs[0].Status != queue.StatusDone || string(rs[0].Payload) != "done "+j.ID || rs[0].Attempts != 1 {
			t.Errorf("job %s results = %+v, want one done on attempt 1", j.ID, rs)
		}
		if v, err := q.State(ctx, "s:"+j.ID); err != nil || string(v) != "v "+j.ID {
			t.Errorf("State(s:%s) = %q, %v", j.ID, v, err)
		}
	}
}

// testRetryThenDone: a job whose first start fails is started again and
// reported done once, on attempt 2.
func testRetryThenDone(t *testing.T, q orgscan.Queue) {
	enqueue(t, q, jobs("r2", 1))
	wait := work(t, q, 1, func(ctx context.Context, d queue.Delivery) (queue.Outcome, error) {
		if d.Attempt == 1 {
			return queue.Outcome{}, errors.New("transient")
		}
		return done(ctx, d)
	})
	got, _ := collect(t, q, "r2", 1)
	wait()
	if rs := got["r2:j000"]; len(rs) != 1 || rs[0].Status != queue.StatusDone || rs[0].Attempts != 2 {
		t.Errorf("results = %+v, want one done on attempt 2", rs)
	}
}

// testDeadLetter: a job that always fails is started MaxAttempts times and
// then reported dead with its last error; the others are done.
func testDeadLetter(t *testing.T, q orgscan.Queue) {
	js := jobs("r3", 3)
	enqueue(t, q, js)
	var mu sync.Mutex
	starts := map[string]int{}
	wait := work(t, q, 2, func(ctx context.Context, d queue.Delivery) (queue.Outcome, error) {
		mu.Lock()
		starts[d.ID]++
		mu.Unlock()
		if d.ID == js[1].ID {
			return queue.Outcome{}, fmt.Errorf("clone failed: attempt %d", d.Attempt)
		}
		return done(ctx, d)
	})
	got, _ := collect(t, q, "r3", 3)
	wait()
	if rs := got[js[1].ID]; len(rs) != 1 || rs[0].Status != queue.StatusDead || rs[0].Error != "clone failed: attempt 3" || rs[0].Attempts != 3 {
		t.Errorf("failing job results = %+v, want one dead after 3 attempts with the last error", rs)
	}
	mu.Lock()
	defer mu.Unlock()
	if got, want := starts[js[1].ID], 3; got != want {
		t.Errorf("failing job started %d times, want %d", got, want)
	}
	for _, j := range []queue.Job{js[0], js[2]} {
		if rs := got[j.ID]; len(rs) != 1 || rs[0].Status != queue.StatusDone {
			t.Errorf("job %s results = %+v, want one done", j.ID, rs)
		}
	}
}

// testResultsInOrder: one consumer's results come in order; reading after
// the last cursor returns nothing once block has passed, and reading from
// "" again returns them all.
func testResultsInOrder(t *testing.T, q orgscan.Queue) {
	js := jobs("r4", 5)
	enqueue(t, q, js)
	wait := work(t, q, 1, done)
	_, all := collect(t, q, "r4", len(js))
	wait()
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.JobID
	}
	want := make([]string, len(js))
	for i, j := range js {
		want[i] = j.ID
	}
	if !slices.Equal(ids, want) {
		t.Errorf("results in order %v, want %v", ids, want)
	}
	ctx := context.Background()
	start := time.Now()
	if rs, err := q.Results(ctx, "r4", all[len(all)-1].Cursor, 150*time.Millisecond); err != nil || len(rs) != 0 {
		t.Errorf("Results after the last = %+v, %v; want none", rs, err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("Results returned after %s, want it to wait about the block time", waited)
	}
	if rs, err := q.Results(ctx, "r4", "", 100*time.Millisecond); err != nil || len(rs) != len(js) {
		t.Errorf("Results from the start = %d results, %v; want %d", len(rs), err, len(js))
	}
}

// testRunsApart: each run reads only its own results, and dropping one
// run's results leaves the other's.
func testRunsApart(t *testing.T, q orgscan.Queue) {
	enqueue(t, q, append(jobs("ra", 2), jobs("rb", 3)...))
	wait := work(t, q, 2, done)
	a, _ := collect(t, q, "ra", 2)
	b, _ := collect(t, q, "rb", 3)
	wait()
	for id := range a {
		if id[:3] != "ra:" {
			t.Errorf("run ra got a result of %s", id)
		}
	}
	if len(b) != 3 {
		t.Errorf("run rb results = %d jobs, want 3", len(b))
	}
	ctx := context.Background()
	if err := q.DropRun(ctx, "ra"); err != nil {
		t.Fatalf("DropRun: %v", err)
	}
	if rs, err := q.Results(ctx, "ra", "", 50*time.Millisecond); err != nil || len(rs) != 0 {
		t.Errorf("dropped run results = %+v, %v; want none", rs, err)
	}
	if rs, err := q.Results(ctx, "rb", "", 50*time.Millisecond); err != nil || len(rs) != 3 {
		t.Errorf("other run results = %d, %v; want 3", len(rs), err)
	}
}

// testState: a missing key is nil without error; SetState saves and
// overwrites.
func testState(t *testing.T, q orgscan.Queue) {
	ctx := context.Background()
	tests := []struct {
		name string
		set  []string // values set in turn ("" none)
		want []byte
	}{
		{name: "missing", want: nil},
		{name: "set", set: []string{"a"}, want: []byte("a")},
		{name: "overwritten", set: []string{"a", "b"}, want: []byte("b")},
	}
	for _, tt := range tests {
		key := "checkpoint:acme/" + tt.name
		for _, v := range tt.set {
			if err := q.SetState(ctx, key, []byte(v)); err != nil {
				t.Fatalf("%s: SetState: %v", tt.name, err)
			}
		}
		got, err := q.State(ctx, key)
		if err != nil || !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
			t.Errorf("%s: State = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// testNoConsumer: Work needs a consumer name.
func testNoConsumer(t *testing.T, q orgscan.Queue) {
	err := q.Work(context.Background(), queue.WorkOptions{}, done)
	if !errors.Is(err, queue.ErrNoConsumer) {
		t.Errorf("Work without a consumer = %v, want ErrNoConsumer", err)
	}
}

// testCancelStops: Work on an empty queue returns nil soon after ctx ends.
func testCancelStops(t *testing.T, q orgscan.Queue) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- q.Work(ctx, queue.WorkOptions{Consumer: "c"}, done) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Work after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Work did not return after its context ended")
	}
}
