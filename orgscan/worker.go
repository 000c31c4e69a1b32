package orgscan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leakguard/leakguard/orgscan/queue"
	"github.com/rs/zerolog"
)

// NewHandler returns the queue handler of a worker: it scans one
// repository job with sc from the checkpoint kept in q's state and
// returns the findings with the new checkpoint, which the coordinator
// saves once they are durable.
func NewHandler(q Queue, sc RepoScanner, log zerolog.Logger) queue.Handler {
	return func(ctx context.Context, d queue.Delivery) (queue.Outcome, error) {
		repo, err := decodeJob(d.Payload)
		if err != nil {
			return queue.Outcome{}, err
		}
		log.Info().Str("repo", repo.FullName).Int("attempt", d.Attempt).Msg("job started")
		prev, err := q.State(ctx, checkpointKey(repo.FullName))
		if err != nil {
			return queue.Outcome{}, err
		}
		res, err := sc.ScanRepo(ctx, repo, prev)
		if err != nil {
			return queue.Outcome{}, err
		}
		payload, err := encodeResult(res)
		if err != nil {
			return queue.Outcome{}, err
		}
		log.Info().Str("repo", repo.FullName).Int("findings", len(res.Findings)).Msg("job done")
		return queue.Outcome{Payload: payload}, nil
	}
}

// WorkerOptions configure the consumers of one worker process.
type WorkerOptions struct {
	Queue       Queue       // required
	Scanner     RepoScanner // required
	Consumer    string      // consumer name, unique among workers (required)
	Concurrency int         // consumers, each one repository at a time (default 1; named Consumer-i when more)
	ExitIdle    time.Duration
	Log         zerolog.Logger
}

// Work runs a worker's consumers until ctx ends or, with ExitIdle, the
// queue is drained. It returns the consumers' errors, joined.
func Work(ctx context.Context, o WorkerOptions) error {
	if o.Queue == nil || o.Scanner == nil {
		return errors.New("orgscan: a worker needs a Queue and a Scanner")
	}
	if o.Consumer == "" {
		return queue.ErrNoConsumer
	}
	n := max(o.Concurrency, 1)
	h := NewHandler(o.Queue, o.Scanner, o.Log)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		name := o.Consumer
		if n > 1 {
			name = fmt.Sprintf("%s-%d", o.Consumer, i)
		}
		wg.Go(func() {
			errs[i] = o.Queue.Work(ctx, queue.WorkOptions{Consumer: name, ExitIdle: o.ExitIdle}, h)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
