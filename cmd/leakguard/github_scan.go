package main

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/redisstreams"
	"github.com/leakguard/leakguard/revoker"
	reposcan "github.com/leakguard/leakguard/scanner/orgscan"
)

// githubScanOptions are the flags of `leakguard github scan`.
type githubScanOptions struct {
	githubCommon
	sel      github.Selector
	cacheDir string
	revoke   bool
	queue    string
	prefix   string
	parallel int
	wait     time.Duration
}

func parseGitHubScan(args []string, sio IO) (*githubScanOptions, error) {
	o := &githubScanOptions{}
	fs := newFlagSet("github scan", sio.Stderr)
	o.declare(fs)
	fs.StringVar(&o.sel.Org, "org", "", "scan every repository of this organisation (or user)")
	fs.StringVar(&o.sel.Repo, "repo", "", "scan this one repository (`owner/name`)")
	fs.BoolVar(&o.sel.Forks, "forks", false, "include forks")
	fs.BoolVar(&o.sel.Archived, "archived", false, "include archived repositories")
	fs.StringVar(&o.sel.Visibility, "visibility", "all", "repositories to include: all, public, private or internal")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "directory of bare mirrors and checkpoints (default: the user cache directory)")
	fs.BoolVar(&o.revoke, "revoke", false, "revoke every active token of ours that is found (needs --db)")
	fs.StringVar(&o.queue, "queue", "", "coordinate `redis://...` workers instead of scanning here ('leakguard worker')")
	fs.StringVar(&o.prefix, "queue-prefix", "leakguard:github", "Redis key prefix of the queue")
	fs.IntVar(&o.parallel, "parallel", min(4, runtime.GOMAXPROCS(0)), "repositories scanned at once (without --queue)")
	fs.DurationVar(&o.wait, "wait", 0, "with --queue: give up waiting for workers after this long (0: wait until done)")
	if err := parseGitHubFlags(fs, args, sio); err != nil {
		return nil, err
	}
	if err := o.sel.Validate(); err != nil {
		return nil, usageError("%v (--org O or --repo O/R)", err)
	}
	if o.parallel < 1 {
		return nil, usageError("--parallel must be at least 1")
	}
	// As in `scan`: revoking is irreversible, so the store is named, never
	// the embedded default one.
	if o.revoke && o.db == "" {
		hint := "sqlite:PATH"
		if p, err := defaultDBPath(envOf(sio)); err == nil {
			hint = "sqlite:" + p
		}
		return nil, usageError("--revoke needs the token store named: --db DSN (the embedded default store is --db %s)", hint)
	}
	if o.cacheDir == "" {
		o.cacheDir = defaultCacheDir(envOf(sio))
	}
	return o, o.setup(sio)
}

// scan is `leakguard github scan`: flags become orgscan.Options, and
// orgscan runs the scan here or through `leakguard worker` processes.
func (g gitHub) scan(ctx context.Context, args []string, sio IO) error {
	o, err := parseGitHubScan(args, sio)
	if err != nil {
		return err
	}
	o.sleep = g.sleep
	cl, cat, err := o.clientCatalog(ctx)
	if err != nil {
		return err
	}
	run := &orgRun{o: o, start: o.now(), out: newFindingSink(&o.githubCommon, cat)}
	opts := orgscan.Options{
		Sink: orgscan.SinkFunc(run.out.add), Revoke: o.revoke, Parallel: o.parallel, Wait: o.wait,
		Progress: run.update, Now: o.now, Log: o.log,
	}
	if o.db != "" {
		st, err := openStoreEnv(ctx, o.db, o.getenv, o.log, o.now)
		if err != nil {
			return err
		}
		defer st.Close()
		opts.Resolver = revoker.New(st, cat, revoker.Options{Now: o.now, Logger: o.log})
	}
	repos, skipped, err := cl.Repositories(ctx, o.sel)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	run.total, run.skipped = len(repos), skipped
	stop := startOrgProgress(&o.githubCommon, run)
	release, err := o.openBackend(ctx, cl, cat, &opts)
	if err == nil {
		defer release() // after finish: its checkpoint saves may use the queue
		err = runOrgScan(ctx, opts, repos)
	}
	stop()
	return run.finish(err)
}

// openBackend opens what scans: the --queue for workers, or the scanner
// over --cache-dir with its checkpoints.
func (o *githubScanOptions) openBackend(ctx context.Context, cl *github.Client, cat *patterns.Catalog, opts *orgscan.Options) (release func(), err error) {
	if o.queue != "" {
		q, closeQ, err := openQueue(ctx, o.queue, redisstreams.Options{Prefix: o.prefix, Log: o.log})
		if err != nil {
			return nil, err
		}
		opts.Queue = q
		return closeQ, nil
	}
	sc, release, err := newOrgScanner(o.cacheDir, cl, o.token(), cat, o.log)
	if err != nil {
		return nil, err
	}
	opts.Scanner, opts.Checkpoints = sc, reposcan.FileCheckpoints{Dir: o.cacheDir}
	return release, nil
}

// runOrgScan runs one organisation scan of repos.
func runOrgScan(ctx context.Context, opts orgscan.Options, repos []github.Repo) error {
	s, err := orgscan.NewScan(opts)
	if err != nil {
		return err
	}
	rs := make([]orgscan.Repo, len(repos))
	for i, r := range repos {
		rs[i] = orgscan.Repo{FullName: r.FullName, CloneURL: r.CloneURL, HTMLURL: r.HTMLURL}
	}
	return s.Run(ctx, rs)
}

// orgRun is what the progress line and the summary (github_output.go)
// print: the options, the start, the skipped repositories and a copy of
// the scan's orgscan.Stats, refreshed by orgscan.Options.Progress.
type orgRun struct {
	o       *githubScanOptions
	start   time.Time
	out     *findingSink
	skipped []github.Skipped

	mu                        sync.Mutex
	total, done               int
	unchanged, empty          int
	findings, revoked, failed int
	objects, bytes            int64
	failures                  []github.Skipped
}

// update copies the scan's statistics (orgscan.Options.Progress).
func (r *orgRun) update(s orgscan.Stats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total, r.done, r.unchanged, r.empty = s.Total, s.Done, s.Unchanged, s.Empty
	r.findings, r.revoked, r.failed = s.Findings, s.Revoked, s.Failed
	r.objects, r.bytes = s.Objects, s.Bytes
	for _, f := range s.Failures[len(r.failures):] {
		r.failures = append(r.failures, github.Skipped{Repo: f.Repo, Reason: f.Reason})
	}
}

// finish writes the report, the summary and picks the exit code.
func (r *orgRun) finish(runErr error) error {
	if err := r.out.flush(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if !r.o.quiet {
		r.summary()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case runErr != nil && !errors.Is(runErr, context.Canceled):
		return &exitError{code: exitFail, err: runErr}
	case runErr != nil || r.failed > 0:
		return &exitError{code: exitFail}
	case r.findings > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}
