package orgscan_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/orgscan/queue"
	"github.com/leakguard/leakguard/orgscan/queuetest"
	"github.com/leakguard/leakguard/scanner"
	"github.com/rs/zerolog"
)

// startWorkers runs n in-process workers with sc on q until the test's
// scan is over (cancel) and waits for them at cleanup.
func startWorkers(t *testing.T, q orgscan.Queue, sc orgscan.RepoScanner, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		err := orgscan.Work(ctx, orgscan.WorkerOptions{Queue: q, Scanner: sc, Consumer: "w", Concurrency: n, Log: zerolog.Nop()})
		if err != nil {
			t.Errorf("Work: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// TestCoordinate: workers scan, the coordinator resolves their findings
// (which carry the rule and hash, not the token), hands them to the sink
// and only then saves each checkpoint in the queue state, where the next
// run's workers start from it. A repository whose findings cannot be
// resolved fails and keeps its old checkpoint.
func TestCoordinate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		repos        map[string]fakeRepo
		fail         map[string]bool // hashes the resolver fails
		wantSink     []string
		wantSaved    []string // repositories with a checkpoint in the queue state
		wantFailures map[string]string
	}{
		{
			name: "findings resolved, then checkpoints saved",
			repos: map[string]fakeRepo{
				"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1), finding("acme/a", hashA, 7)}},
				"acme/b": {findings: []scanner.Finding{finding("acme/b", hashB, 2)}},
			},
			wantSink:  []string{"acme/a:1 revoked/revoked", "acme/a:7 revoked/revoked", "acme/b:2 unknown/none"},
			wantSaved: []string{"acme/a", "acme/b"},
		},
		{
			name: "resolver error fails the repository and keeps its checkpoint",
			repos: map[string]fakeRepo{
				"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1)}},
				"acme/b": {findings: []scanner.Finding{finding("acme/b", hashC, 2)}},
			},
			fail:         map[string]bool{hashC: true},
			wantSink:     []string{"acme/a:1 revoked/revoked"},
			wantSaved:    []string{"acme/a"},
			wantFailures: map[string]string{"acme/b": "store unreachable"},
		},
		{
			name:         "dead-lettered job fails its repository",
			repos:        map[string]fakeRepo{"acme/a": {err: errors.New("clone failed: not found")}, "acme/b": {}},
			wantSaved:    []string{"acme/b"},
			wantFailures: map[string]string{"acme/a": "dead-lettered after 2 attempts: orgscan: clone failed: not found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for name, r := range tt.repos {
				if r.err != nil { // as the real scanner wraps them
					tt.repos[name] = fakeRepo{err: errors.New("orgscan: " + r.err.Error())}
				}
			}
			q := queuetest.NewMemory(queuetest.Config{MaxAttempts: 2})
			sc := newFakeScanner(tt.repos)
			startWorkers(t, q, sc, 2)
			res := &fakeResolver{states: map[string]leakguard.State{hashA: leakguard.StateActive}, fail: tt.fail}
			sink := &recSink{}
			s, err := orgscan.NewScan(orgscan.Options{Sink: sink, Queue: q, Resolver: res, Revoke: true, Wait: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			names := slices.Sorted(maps.Keys(tt.repos))
			if err := s.Run(context.Background(), repos(trimOwner(names)...)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := sinkLines(sink.findings()); !slices.Equal(got, tt.wantSink) {
				t.Errorf("sink got %q, want %q", got, tt.wantSink)
			}
			var saved []string
			for _, n := range names {
				if v, _ := q.State(context.Background(), "checkpoint:"+n); v != nil {
					saved = append(saved, n)
					if string(v) != "cp:"+n {
						t.Errorf("checkpoint of %s = %q", n, v)
					}
				}
			}
			if !slices.Equal(saved, tt.wantSaved) {
				t.Errorf("checkpoints saved for %q, want %q", saved, tt.wantSaved)
			}
			st := s.Stats()
			checkFailures(t, st, tt.wantFailures)
			if got, want := st.Done, len(tt.repos)-len(tt.wantFailures); got != want {
				t.Errorf("Done = %d, want %d", got, want)
			}
			calls := res.callsSoFar()
			checkCalls(t, calls, len(calls), true, false)
		})
	}
}

// TestCoordinateNextRun: the next run's workers start from the
// checkpoints the coordinator saved.
func TestCoordinateNextRun(t *testing.T) {
	t.Parallel()
	q := queuetest.NewMemory(queuetest.Config{})
	sc := newFakeScanner(map[string]fakeRepo{"acme/a": {}})
	startWorkers(t, q, sc, 1)
	for range 2 {
		s, err := orgscan.NewScan(orgscan.Options{Sink: &recSink{}, Queue: q})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), repos("a")); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Done != 1 || st.Objects != 10 {
			t.Errorf("stats = %+v, want 1 done with the worker's object count", st)
		}
	}
	if got, want := sc.prevsOf("acme/a"), []string{"", "cp:acme/a"}; !slices.Equal(got, want) {
		t.Errorf("workers scanned from %q, want %q", got, want)
	}
}

// dupQueue reports every result twice, as when a worker presumed dead
// finishes after all.
type dupQueue struct{ orgscan.Queue }

func (d dupQueue) Results(ctx context.Context, run, after string, block time.Duration) ([]queue.Result, error) {
	rs, err := d.Queue.Results(ctx, run, after, block)
	var out []queue.Result
	for _, r := range rs {
		out = append(out, r, r)
	}
	return out, err
}

// TestCoordinateCountsAJobOnce: a repeated result is neither counted nor
// handed to the sink again.
func TestCoordinateCountsAJobOnce(t *testing.T) {
	t.Parallel()
	q := queuetest.NewMemory(queuetest.Config{})
	startWorkers(t, q, newFakeScanner(map[string]fakeRepo{"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1)}}}), 1)
	sink := &recSink{}
	s, err := orgscan.NewScan(orgscan.Options{Sink: sink, Queue: dupQueue{q}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), repos("a", "b")); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Done != 2 || st.Findings != 1 || len(sink.findings()) != 1 {
		t.Errorf("stats %+v, sink %d findings; want 2 done and 1 finding", st, len(sink.findings()))
	}
}

// TestCoordinateWaitRunsOut: without workers, the coordinator gives up
// after Options.Wait with ErrWaitRanOut.
func TestCoordinateWaitRunsOut(t *testing.T) {
	t.Parallel()
	s, err := orgscan.NewScan(orgscan.Options{Sink: &recSink{}, Queue: queuetest.NewMemory(queuetest.Config{}), Wait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Run(context.Background(), repos("a", "b"))
	if !errors.Is(err, orgscan.ErrWaitRanOut) || !strings.Contains(err.Error(), "0 of 2 repositories") {
		t.Errorf("Run = %v, want ErrWaitRanOut with 0 of 2", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %s, want about the wait", took)
	}
}

// TestHandlerRejectsBadJobs: a job whose payload is not a repository
// fails without a scan.
func TestHandlerRejectsBadJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
	}{
		{"not JSON", "{"},
		{"no name", `{"clone_url":"https://github.com/acme/a.git"}`},
		{"no clone URL", `{"full_name":"acme/a"}`},
	}
	sc := newFakeScanner(map[string]fakeRepo{})
	h := orgscan.NewHandler(queuetest.NewMemory(queuetest.Config{}), sc, zerolog.Nop())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := h(context.Background(), queue.Delivery{Job: queue.Job{ID: "r:x", Run: "r", Payload: []byte(tt.payload)}, Attempt: 1})
			if err == nil || !strings.Contains(err.Error(), "bad job payload") {
				t.Errorf("handler = %v, want a bad job payload error", err)
			}
		})
	}
	if got := sc.prevsOf("acme/a"); len(got) != 0 {
		t.Errorf("scanned %d times, want none", len(got))
	}
}

// TestWorkNeedsAConsumer: a worker without a name does not start.
func TestWorkNeedsAConsumer(t *testing.T) {
	t.Parallel()
	err := orgscan.Work(context.Background(), orgscan.WorkerOptions{Queue: queuetest.NewMemory(queuetest.Config{}), Scanner: newFakeScanner(nil)})
	if !errors.Is(err, queue.ErrNoConsumer) {
		t.Errorf("Work = %v, want ErrNoConsumer", err)
	}
}
