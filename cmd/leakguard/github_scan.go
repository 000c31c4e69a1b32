package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/orgscan"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook/githubapi"
)

// githubScanOptions are the flags of `leakguard github scan`.
type githubScanOptions struct {
	githubCommon
	sel      githubapi.Selector
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
	fs.BoolVar(&o.revoke, "revoke", false, "revoke every active token of ours that is found (store from --db)")
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
	if o.cacheDir == "" {
		o.cacheDir = defaultCacheDir(envOf(sio))
	}
	return o, o.setup(sio)
}

// runGitHubScan is `leakguard github scan`.
func runGitHubScan(ctx context.Context, args []string, sio IO) error {
	o, err := parseGitHubScan(args, sio)
	if err != nil {
		return err
	}
	cl, cat, err := o.clientCatalog(ctx)
	if err != nil {
		return err
	}
	run := &orgRun{o: o, start: o.now(), out: newFindingSink(&o.githubCommon, cat)}
	if o.revoke || o.db != "" {
		st, err := openStoreEnv(ctx, o.db, o.getenv, o.log, o.now)
		if err != nil {
			return err
		}
		defer st.Close()
		run.settler = &settler{cat: cat, st: st, rv: revoker.New(st, cat, revoker.Options{Now: o.now, Logger: o.log}), revoke: o.revoke, now: o.now}
	}
	repos, skipped, err := cl.Repositories(ctx, o.sel)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	run.total, run.skipped = len(repos), skipped
	stop := startOrgProgress(&o.githubCommon, run)
	if o.queue != "" {
		err = run.coordinate(ctx, repos)
	} else {
		err = run.scanLocal(ctx, cl, cat, repos)
	}
	stop()
	return run.finish(err)
}

// orgRun is the state of one organisation scan.
type orgRun struct {
	o       *githubScanOptions
	start   time.Time
	out     *findingSink
	settler *settler
	total   int
	skipped []githubapi.Skipped

	mu                        sync.Mutex
	done, unchanged, empty    int
	findings, revoked, failed int
	objects, bytes            int64
	failures                  []githubapi.Skipped
}

// scanLocal scans the repositories in this process, --parallel at once.
func (r *orgRun) scanLocal(ctx context.Context, cl *githubapi.Client, cat *patterns.Catalog, repos []githubapi.Repo) error {
	sc, release, err := newOrgScanner(r.o.cacheDir, cl, r.o.token(), cat, r.o.log)
	if err != nil {
		return err
	}
	defer release()
	cps := orgscan.FileCheckpoints{Dir: r.o.cacheDir}
	jobs := make(chan githubapi.Repo)
	var wg sync.WaitGroup
	for range r.o.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for repo := range jobs {
				r.scanOne(ctx, sc, cps, repo)
			}
		}()
	}
	for _, repo := range repos {
		select {
		case jobs <- repo:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// scanOne scans one repository and records its outcome. Its checkpoint is
// saved once its findings are out (or queued for the final report).
func (r *orgRun) scanOne(ctx context.Context, sc *orgscan.Scanner, cps orgscan.FileCheckpoints, repo githubapi.Repo) {
	prev, err := cps.Load(ctx, repo.FullName)
	var res orgscan.Result
	if err == nil {
		res, err = sc.ScanRepo(ctx, orgscan.Repo{FullName: repo.FullName, CloneURL: repo.CloneURL, HTMLURL: repo.HTMLURL}, prev)
	}
	if err == nil {
		err = r.accept(ctx, res, func() error { return cps.Save(ctx, repo.FullName, res.Checkpoint) })
	}
	if err != nil {
		if ctx.Err() == nil {
			r.o.log.Error().Str("repo", repo.FullName).Err(err).Msg("repository not scanned")
		}
		r.fail(repo.FullName, err)
	}
}

// accept settles a repository's findings (status, revocation), hands them
// to the report, and runs commit once they are durable.
func (r *orgRun) accept(ctx context.Context, res orgscan.Result, commit func() error) error {
	revoked := 0
	for i := range res.Findings {
		if r.settler != nil {
			if err := r.settler.settle(ctx, &res.Findings[i]); err != nil {
				return err
			}
		}
		if res.Findings[i].Action == scanner.ActionRevoked {
			revoked++
		}
	}
	if err := r.out.add(res.Findings, commit); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	r.findings += len(res.Findings)
	r.objects += res.Objects
	r.bytes += res.Bytes
	r.revoked += revoked
	if res.Unchanged {
		r.unchanged++
	}
	if res.Empty {
		r.empty++
	}
	return nil
}

func (r *orgRun) fail(repo string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	r.failures = append(r.failures, githubapi.Skipped{Repo: repo, Reason: err.Error()})
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

// settler fills a finding's status from the store and, with revoke,
// revokes active tokens of ours through the revoker.
type settler struct {
	cat    *patterns.Catalog
	st     store.Store
	rv     *revoker.Revoker
	revoke bool
	now    func() time.Time
}

func (s *settler) settle(ctx context.Context, f *scanner.Finding) error {
	f.Status, f.Action = scanner.StatusUnknown, scanner.ActionNone
	if fm, ok := s.cat.ByID(f.Rule); !f.Issued && !(ok && fm.Issued) {
		return nil // not ours (findings from workers carry only the rule)
	}
	if s.revoke {
		res, err := s.rv.Revoke(ctx, revoker.Report{
			Secret: f.Secret, Hash: f.TokenHash, Source: scanner.SourceGitHubOrg, URL: f.URL,
			Path: f.Path, Line: f.Line, Commit: f.Commit,
		})
		if err != nil {
			return fmt.Errorf("revoke %s: %w", f.TokenHash[:12], err)
		}
		if res.Token != nil {
			f.Status = string(res.Token.State(s.now()))
		}
		if res.Revoked {
			f.Action = scanner.ActionRevoked
		}
		return nil
	}
	t, err := s.st.TokenByHash(ctx, f.TokenHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up %s: %w", f.TokenHash[:12], err)
	}
	f.Status = string(t.State(s.now()))
	return nil
}
