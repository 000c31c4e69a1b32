package main

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/internal/progress"
	"github.com/leakguard/leakguard/internal/term"
	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/redisstreams"
	"github.com/leakguard/leakguard/revoker"
	reposcan "github.com/leakguard/leakguard/scanner/orgscan"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store/storeopen"
)

// githubScanOptions are the flags of `leakguard github scan`.
type githubScanOptions struct {
	githubCommon
	sel      github.Selector
	cacheDir string
	revoke   bool
	// noArchives: archives in blobs scanned as bytes
	noArchives bool
	others     othersFlags
	queue      string
	prefix     string
	parallel   int
	wait       time.Duration
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
	fs.BoolVar(&o.noArchives, "no-archives", false, noArchivesUsage)
	o.others.declare(fs)
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
		if p, err := storeopen.DefaultPath(envOf(sio)); err == nil {
			hint = "sqlite:" + p
		}
		return nil, usageError("--revoke needs the token store named: --db DSN (the embedded default store is --db %s)", hint)
	}
	if o.others.on && o.queue != "" {
		return nil, usageError("--revoke-others does not work with --queue yet: workers send hashes only (docs/issuers.md)")
	}
	if err := o.others.check(); err != nil {
		return nil, err
	}
	if o.cacheDir == "" {
		o.cacheDir = reposcan.DefaultCacheDir(envOf(sio))
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
	cl, cat, err := o.clientCatalog(ctx, g.sleep)
	if err != nil {
		return err
	}
	run := &orgRun{o: o, start: o.now(), out: o.sink(cat)}
	opts := orgscan.Options{
		Sink: run.out, Revoke: o.revoke, Parallel: o.parallel, Wait: o.wait, Now: o.now, Log: o.log,
	}
	if o.db != "" || o.others.on { // the reports' queue: --db, or the embedded store
		st, err := storeopen.Open(ctx, o.db, o.storeOptions())
		if err != nil {
			return err
		}
		defer st.Close()
		var res revoker.Resolver
		if o.db != "" {
			res = revoker.New(st, cat, revoker.Options{Now: o.now, Logger: o.log})
		}
		if opts.Resolver, err = o.others.wrap(res, st, cat, &o.githubCommon); err != nil {
			return err
		}
	}
	repos, skipped, err := cl.Repositories(ctx, o.sel)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	run.total, run.skipped = len(repos), skipped
	stop := run.showProgress()
	release, err := o.openBackend(ctx, cl, cat, &opts)
	if err == nil {
		defer release() // after finish: its checkpoint saves may use the queue
		err = run.scan(ctx, opts, repos)
	}
	stop()
	return run.finish(err)
}

// openBackend opens what scans: the --queue for workers, or the scanner
// over --cache-dir with its checkpoints.
func (o *githubScanOptions) openBackend(ctx context.Context, cl *github.Client, cat *patterns.Catalog, opts *orgscan.Options) (release func(), err error) {
	if o.queue != "" {
		q, closeQ, err := redisstreams.Dial(ctx, o.queue, redisstreams.Options{Prefix: o.prefix, Log: o.log})
		if err != nil {
			return nil, err
		}
		opts.Queue = q
		return closeQ, nil
	}
	sc, release, err := newOrgScanner(&o.githubCommon, o.cacheDir, o.noArchives, cl, o.token(), cat)
	if err != nil {
		return nil, err
	}
	opts.Scanner, opts.Checkpoints = sc, reposcan.FileCheckpoints{Dir: o.cacheDir}
	return release, nil
}

// orgRun is one `github scan`: its options, its start, its report, the
// repositories left out before the scan and, once it runs, the scan, whose
// orgscan.Stats the progress line and the summary print.
type orgRun struct {
	o       *githubScanOptions
	start   time.Time
	out     *report.Sink
	total   int
	skipped []github.Skipped
	s       atomic.Pointer[orgscan.Scan]
}

// scan runs one organisation scan of repos.
func (r *orgRun) scan(ctx context.Context, opts orgscan.Options, repos []github.Repo) error {
	s, err := orgscan.NewScan(opts)
	if err != nil {
		return err
	}
	r.s.Store(s)
	rs := make([]orgscan.Repo, len(repos))
	for i, repo := range repos {
		rs[i] = orgscan.Repo{FullName: repo.FullName, CloneURL: repo.CloneURL, HTMLURL: repo.HTMLURL}
	}
	return s.Run(ctx, rs)
}

// stats are the scan's statistics so far; before it runs, only Total.
func (r *orgRun) stats() orgscan.Stats {
	var st orgscan.Stats
	if s := r.s.Load(); s != nil {
		st = s.Stats()
	}
	st.Total = r.total
	return st
}

// showProgress shows the progress line on stderr (see progress.Start)
// until the returned stop is called; --quiet turns it off.
func (r *orgRun) showProgress() (stop func()) {
	if r.o.quiet {
		return func() {}
	}
	return progress.Start(progress.Options{
		W: r.o.stderr, Terminal: term.Is(r.o.stderr), Every: r.o.progressEvery, Prefix: "leakguard: ",
	}, func() string { return r.stats().ProgressLine(r.o.now().Sub(r.start)) })
}

// finish writes the report, the summary and picks the exit code.
func (r *orgRun) finish(runErr error) error {
	if err := r.out.Flush(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	st := r.stats()
	if !r.o.quiet {
		reasons := make([]string, len(r.skipped))
		for i, sk := range r.skipped {
			reasons[i] = sk.Reason
		}
		for _, line := range st.Summary(r.o.now().Sub(r.start), reasons) {
			warnf(r.o.stderr, "%s", line)
		}
	}
	switch {
	case runErr != nil && !errors.Is(runErr, context.Canceled):
		return &exitError{code: exitFail, err: runErr}
	case runErr != nil || st.Failed > 0 || len(st.Unread) > 0:
		return &exitError{code: exitFail}
	case st.Findings > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}
