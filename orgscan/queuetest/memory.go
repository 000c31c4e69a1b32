package queuetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leakguard/leakguard/orgscan/queue"
)

// Memory is an in-memory orgscan.Queue: the second implementation the
// suite checks redisstreams against, and the queue of orgscan's tests.
// It is safe for concurrent use; its jobs live as long as it does.
type Memory struct {
	c Config

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	jobs    []*memJob     // waiting or being handled, in order
	results map[string][]queue.Result
	state   map[string][]byte
}

// memJob is a job in the queue.
type memJob struct {
	job      queue.Job
	attempts int
	readyAt  time.Time // not handed out before
	busy     bool
}

// pollEvery bounds how long an idle consumer sleeps between looks.
const pollEvery = 20 * time.Millisecond

// NewMemory returns an empty queue. A job whose handler fails is started
// again after c.IdleTimeout (0: at once).
func NewMemory(c Config) *Memory {
	return &Memory{c: c.withDefaults(), changed: make(chan struct{}),
		results: map[string][]queue.Result{}, state: map[string][]byte{}}
}

// notify wakes every waiter. Called with m.mu held.
func (m *Memory) notify() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// Enqueue implements orgscan.Queue.
func (m *Memory) Enqueue(_ context.Context, jobs []queue.Job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range jobs {
		m.jobs = append(m.jobs, &memJob{job: j})
	}
	m.notify()
	return nil
}

// Results implements orgscan.Queue; a cursor is a result's position.
func (m *Memory) Results(ctx context.Context, run, after string, block time.Duration) ([]queue.Result, error) {
	from := 0
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("queuetest: bad cursor %q", after)
		}
		from = n
	}
	t := time.NewTimer(block)
	defer t.Stop()
	for {
		m.mu.Lock()
		rs, changed := m.results[run], m.changed
		m.mu.Unlock()
		if from < len(rs) {
			return slices.Clone(rs[from:]), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, nil
		case <-changed:
		}
	}
}

// DropRun implements orgscan.Queue.
func (m *Memory) DropRun(_ context.Context, run string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.results, run)
	return nil
}

// State implements orgscan.Queue.
func (m *Memory) State(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.state[key]), nil
}

// SetState implements orgscan.Queue.
func (m *Memory) SetState(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state[key] = slices.Clone(value)
	return nil
}

// Work implements orgscan.Queue.
func (m *Memory) Work(ctx context.Context, w queue.WorkOptions, h queue.Handler) error {
	if w.Consumer == "" {
		return queue.ErrNoConsumer
	}
	idleSince := time.Now()
	for ctx.Err() == nil {
		j, d, changed, drained := m.take()
		if j != nil {
			m.process(ctx, j, d, h)
			idleSince = time.Now()
			continue
		}
		if w.ExitIdle > 0 && drained && time.Since(idleSince) >= w.ExitIdle {
			return nil
		}
		t := time.NewTimer(pollEvery)
		select {
		case <-ctx.Done():
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// take hands out the first job that is ready, counting the start;
// otherwise it returns what to wait on and whether the queue is drained.
func (m *Memory) take() (*memJob, queue.Delivery, <-chan struct{}, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for _, j := range m.jobs {
		if !j.busy && !now.Before(j.readyAt) {
			j.busy = true
			j.attempts++
			return j, queue.Delivery{Job: j.job, Attempt: j.attempts}, nil, false
		}
	}
	return nil, queue.Delivery{}, m.changed, len(m.jobs) == 0
}

// process runs one delivery and settles its job under one lock: result,
// state and removal at once.
func (m *Memory) process(ctx context.Context, j *memJob, d queue.Delivery, h queue.Handler) {
	out, err := h(ctx, d)
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.notify()
	switch {
	case err == nil:
		m.addResult(j, queue.Result{Status: queue.StatusDone, Payload: slices.Clone(out.Payload)})
		for k, v := range out.State {
			m.state[k] = slices.Clone(v)
		}
	case ctx.Err() != nil: // shutting down: left for another consumer
		j.busy, j.readyAt = false, time.Now().Add(m.c.IdleTimeout)
	case d.Attempt >= m.c.MaxAttempts:
		m.addResult(j, queue.Result{Status: queue.StatusDead, Error: err.Error()})
	default:
		j.busy, j.readyAt = false, time.Now().Add(m.c.IdleTimeout)
	}
}

// addResult appends j's result to its run and removes j. Called with m.mu
// held.
func (m *Memory) addResult(j *memJob, r queue.Result) {
	r.JobID, r.Attempts = j.job.ID, j.attempts
	if j.job.Run != "" {
		r.Cursor = strconv.Itoa(len(m.results[j.job.Run]) + 1)
		m.results[j.job.Run] = append(m.results[j.job.Run], r)
	}
	m.jobs = slices.DeleteFunc(m.jobs, func(x *memJob) bool { return x == j })
}
