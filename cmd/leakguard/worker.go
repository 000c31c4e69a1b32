package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/redisstreams"
	reposcan "github.com/leakguard/leakguard/scanner/orgscan"
)

// workerOptions are the flags of `leakguard worker`.
type workerOptions struct {
	githubCommon
	redisURL, prefix, cacheDir, name string
	idle, exitIdle                   time.Duration
	attempts, concurrency            int
	noArchives                       bool // archives in blobs scanned as bytes
}

func parseWorker(args []string, sio IO) (*workerOptions, error) {
	o := &workerOptions{}
	fs := newFlagSet("worker", sio.Stderr)
	o.declareBase(fs)
	fs.StringVar(&o.redisURL, "redis", "", "Redis `URL` of the queue (redis://...), as given to 'github scan --queue'")
	fs.StringVar(&o.prefix, "queue-prefix", "leakguard:github", "Redis key prefix of the queue")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "directory of bare mirrors (default: the user cache directory; one per worker process, locked while in use)")
	fs.StringVar(&o.name, "name", "", "consumer name (default host-pid)")
	fs.DurationVar(&o.idle, "idle-timeout", 5*time.Minute, "reclaim jobs of workers silent this long")
	fs.IntVar(&o.attempts, "max-attempts", 3, "starts of a job before it is dead-lettered")
	fs.DurationVar(&o.exitIdle, "exit-idle", 0, "exit after this long without work once the queue is empty (0: run until stopped)")
	fs.IntVar(&o.concurrency, "concurrency", 1, "repositories scanned at once")
	fs.BoolVar(&o.noArchives, "no-archives", false, noArchivesUsage)
	if err := parseGitHubFlags(fs, args, sio); err != nil {
		return nil, err
	}
	if o.redisURL == "" {
		return nil, usageError("--redis is required (redis://host:6379/0)")
	}
	if o.concurrency < 1 || o.attempts < 1 {
		return nil, usageError("--concurrency and --max-attempts must be at least 1")
	}
	if o.cacheDir == "" {
		o.cacheDir = reposcan.DefaultCacheDir(envOf(sio))
	}
	if o.name == "" {
		host, _ := os.Hostname()
		o.name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	return o, o.setup(sio)
}

// runWorker is `leakguard worker`: it consumes repository jobs from the
// Redis Streams queue until stopped (or drained, with --exit-idle).
func runWorker(ctx context.Context, args []string, sio IO) error {
	return gitHub{}.worker(ctx, args, sio)
}

// worker is `leakguard worker` with g's dependencies.
func (g gitHub) worker(ctx context.Context, args []string, sio IO) error {
	o, err := parseWorker(args, sio)
	if err != nil {
		return err
	}
	cl, cat, err := o.clientCatalog(ctx, g.sleep)
	if err != nil {
		return err
	}
	sc, release, err := newOrgScanner(&o.githubCommon, o.cacheDir, o.noArchives, cl, o.token(), cat)
	if err != nil {
		return err
	}
	defer release()
	q, closeQ, err := redisstreams.Dial(ctx, o.redisURL, redisstreams.Options{
		Prefix: o.prefix, IdleTimeout: o.idle, MaxAttempts: o.attempts, Log: o.log,
	})
	if err != nil {
		return err
	}
	defer closeQ()
	o.log.Info().Str("consumer", o.name).Msg("worker started")
	err = orgscan.Work(ctx, orgscan.WorkerOptions{
		Queue: q, Scanner: sc, Consumer: o.name, Concurrency: o.concurrency, ExitIdle: o.exitIdle, Log: o.log,
	})
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	o.log.Info().Str("consumer", o.name).Msg("worker stopped")
	return nil
}
