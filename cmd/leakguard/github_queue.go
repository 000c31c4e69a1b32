package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/orgscan"
	"github.com/leakguard/leakguard/store/redisqueue"
	"github.com/leakguard/leakguard/webhook/githubapi"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// jobResult is what a worker reports for one repository (its checkpoint
// goes to the queue's state hash in the same transaction).
type jobResult struct {
	Repo      string            `json:"repo"`
	Findings  []scanner.Finding `json:"findings"`
	Unchanged bool              `json:"unchanged,omitempty"`
	Empty     bool              `json:"empty,omitempty"`
}

// checkpointField is a repository's checkpoint field in the queue state.
func checkpointField(repo string) string { return "checkpoint:" + repo }

// openQueue connects to Redis and returns the queue.
func openQueue(ctx context.Context, rawURL string, o redisqueue.Options) (*redisqueue.Queue, func(), error) {
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
	return redisqueue.New(rdb, o), func() { _ = rdb.Close() }, nil
}

// coordinate enqueues one job per repository for `leakguard worker`
// processes and collects their results until every repository has one
// (done or dead-lettered), or --wait runs out.
func (r *orgRun) coordinate(ctx context.Context, repos []githubapi.Repo) error {
	q, closeQ, err := openQueue(ctx, r.o.queue, redisqueue.Options{Prefix: r.o.prefix, Log: r.o.log})
	if err != nil {
		return err
	}
	defer closeQ()
	var b [8]byte
	_, _ = rand.Read(b[:])
	run := hex.EncodeToString(b[:])
	jobs := make([]redisqueue.Job, 0, len(repos))
	for _, repo := range repos {
		payload, _ := json.Marshal(orgscan.Repo{FullName: repo.FullName, CloneURL: repo.CloneURL, HTMLURL: repo.HTMLURL})
		jobs = append(jobs, redisqueue.Job{ID: run + ":" + repo.FullName, Run: run, Payload: payload})
	}
	if err := q.Enqueue(ctx, jobs); err != nil {
		return err
	}
	r.o.log.Info().Str("run", run).Int("jobs", len(jobs)).Msg("jobs enqueued; waiting for workers (leakguard worker --redis ...)")
	defer func() { _ = q.DropRun(context.WithoutCancel(ctx), run) }()
	return r.collect(ctx, q, run, len(jobs))
}

// collect reads the run's results until want distinct jobs reported.
func (r *orgRun) collect(ctx context.Context, q *redisqueue.Queue, run string, want int) error {
	seen := map[string]bool{}
	after := "0"
	var deadline time.Time
	if r.o.wait > 0 {
		deadline = r.o.now().Add(r.o.wait)
	}
	for len(seen) < want {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !deadline.IsZero() && r.o.now().After(deadline) {
			return fmt.Errorf("--wait %s ran out: %d of %d repositories reported (jobs stay queued)", r.o.wait, len(seen), want)
		}
		rs, err := q.Results(ctx, run, after, time.Second)
		if err != nil {
			return err
		}
		for _, res := range rs {
			after = res.StreamID
			if seen[res.JobID] {
				continue // a presumed-dead worker finished after all
			}
			seen[res.JobID] = true
			if err := r.acceptResult(ctx, run, res); err != nil {
				return err
			}
		}
	}
	return nil
}

// acceptResult records one job's result.
func (r *orgRun) acceptResult(ctx context.Context, run string, res redisqueue.Result) error {
	repo := strings.TrimPrefix(res.JobID, run+":")
	if res.Status != redisqueue.StatusDone {
		r.fail(repo, fmt.Errorf("dead-lettered after %d attempts: %s", res.Attempts, res.Error))
		return nil
	}
	var jr jobResult
	if err := json.Unmarshal(res.Payload, &jr); err != nil {
		r.fail(repo, fmt.Errorf("bad result from a worker: %v", err))
		return nil
	}
	return r.accept(ctx, orgscan.Result{Repo: repo, Findings: jr.Findings, Unchanged: jr.Unchanged, Empty: jr.Empty}, nil)
}

// workerHandler scans one repository job with sc, starting from the
// checkpoint kept in the queue state.
func workerHandler(q *redisqueue.Queue, sc *orgscan.Scanner, log zerolog.Logger) redisqueue.Handler {
	return func(ctx context.Context, d redisqueue.Delivery) (redisqueue.Outcome, error) {
		var repo orgscan.Repo
		if err := json.Unmarshal(d.Payload, &repo); err != nil {
			return redisqueue.Outcome{}, fmt.Errorf("bad job payload: %v", err)
		}
		log.Info().Str("repo", repo.FullName).Int("attempt", d.Attempt).Msg("job started")
		prev, err := q.State(ctx, checkpointField(repo.FullName))
		if err != nil {
			return redisqueue.Outcome{}, err
		}
		res, err := sc.ScanRepo(ctx, repo, prev)
		if err != nil {
			return redisqueue.Outcome{}, err
		}
		payload, err := json.Marshal(jobResult{Repo: repo.FullName, Findings: res.Findings, Unchanged: res.Unchanged, Empty: res.Empty})
		if err != nil {
			return redisqueue.Outcome{}, err
		}
		out := redisqueue.Outcome{Payload: payload}
		if res.Checkpoint != nil {
			out.State = map[string][]byte{checkpointField(repo.FullName): res.Checkpoint}
		}
		log.Info().Str("repo", repo.FullName).Int("findings", len(res.Findings)).Msg("job done")
		return out, nil
	}
}
