package orgscan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leakguard/leakguard/orgscan/queue"
)

// ErrWaitRanOut is returned by Run when Options.Wait runs out before every
// repository has a result; the jobs left stay queued.
var ErrWaitRanOut = errors.New("the wait for workers ran out")

// maxBlock bounds one wait for results, so that Options.Wait and ctx are
// checked at least this often.
const maxBlock = time.Second

// coordinate enqueues one job per repository for workers and collects
// their results until every repository has one (done or dead-lettered),
// or Options.Wait runs out.
func (s *Scan) coordinate(ctx context.Context, repos []Repo) error {
	run := newRunID()
	jobs := make([]queue.Job, 0, len(repos))
	for _, repo := range repos {
		payload, err := encodeJob(repo)
		if err != nil {
			return err
		}
		jobs = append(jobs, queue.Job{ID: jobID(run, repo.FullName), Run: run, Payload: payload})
	}
	if err := s.o.Queue.Enqueue(ctx, jobs); err != nil {
		return err
	}
	s.o.Log.Info().Str("run", run).Int("jobs", len(jobs)).Msg("jobs enqueued; waiting for workers")
	defer func() {
		if err := s.o.Queue.DropRun(context.WithoutCancel(ctx), run); err != nil {
			s.o.Log.Warn().Err(err).Str("run", run).Msg("results of the run not deleted (they expire)")
		}
	}()
	return s.collect(ctx, run, len(jobs))
}

// collect reads the run's results until want distinct jobs reported.
func (s *Scan) collect(ctx context.Context, run string, want int) error {
	seen := make(map[string]bool, want)
	after := ""
	var deadline time.Time
	if s.o.Wait > 0 {
		deadline = s.o.Now().Add(s.o.Wait)
	}
	for len(seen) < want {
		if err := ctx.Err(); err != nil {
			return err
		}
		block := maxBlock
		if !deadline.IsZero() {
			left := deadline.Sub(s.o.Now())
			if left < 0 {
				return fmt.Errorf("%w after %s: %d of %d repositories reported (jobs stay queued)", ErrWaitRanOut, s.o.Wait, len(seen), want)
			}
			block = min(block, max(left, time.Millisecond))
		}
		rs, err := s.o.Queue.Results(ctx, run, after, block)
		if err != nil {
			return err
		}
		for _, res := range rs {
			after = res.Cursor
			if seen[res.JobID] {
				continue // a presumed-dead worker finished after all
			}
			seen[res.JobID] = true
			s.acceptResult(ctx, run, res)
		}
	}
	return nil
}

// acceptResult records one job's result. Its checkpoint is saved in the
// queue state, where workers read it, once its findings are durable.
func (s *Scan) acceptResult(ctx context.Context, run string, res queue.Result) {
	repo := repoOfJob(run, res.JobID)
	if res.Status != queue.StatusDone {
		s.fail(repo, fmt.Errorf("dead-lettered after %d attempts: %s", res.Attempts, res.Error))
		return
	}
	rr, err := decodeResult(repo, res.Payload)
	if err == nil {
		err = s.accept(ctx, rr, s.saveInQueue(ctx, repo, rr.Checkpoint))
	}
	if err != nil {
		if ctx.Err() == nil {
			s.o.Log.Error().Str("repo", repo).Err(err).Msg("repository not scanned")
		}
		s.fail(repo, err)
	}
}

// saveInQueue returns the commit that saves checkpoint as repo's in the
// queue state, or nil when there is none to save.
func (s *Scan) saveInQueue(ctx context.Context, repo string, checkpoint []byte) func() error {
	if checkpoint == nil {
		return nil
	}
	save := context.WithoutCancel(ctx) // the sink may commit after ctx ended
	return func() error { return s.o.Queue.SetState(save, checkpointKey(repo), checkpoint) }
}
