package orgscan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/rs/zerolog"
)

// Options configure an organisation scan. Without a Queue the repositories
// are scanned here, Parallel at once, with Scanner and Checkpoints; with
// one, they are enqueued for workers (see Work) and their results
// collected.
type Options struct {
	// Sink receives every repository's findings. Required.
	Sink Sink
	// Resolver fills the findings' status and, with Revoke, revokes
	// active tokens of ours. Nil: findings carry no status.
	Resolver revoker.Resolver
	// Revoke revokes active tokens of ours; it needs a Resolver.
	Revoke bool

	// Scanner and Checkpoints scan here (required without a Queue);
	// Parallel repositories at once (default 1).
	Scanner     RepoScanner
	Checkpoints Checkpoints
	Parallel    int

	// Queue coordinates workers instead. Wait bounds the wait for their
	// results (0: until every repository has one).
	Queue Queue
	Wait  time.Duration

	// Progress, when set, is called with the statistics at the start and
	// after each repository, in order, with the scan's statistics lock
	// held: it must return quickly and must not call Stats.
	Progress func(Stats)
	Now      func() time.Time // nil: time.Now
	Log      zerolog.Logger
}

// validate checks o and fills its defaults.
func (o *Options) validate() error {
	switch {
	case o.Sink == nil:
		return errors.New("orgscan: a Sink is required")
	case o.Revoke && o.Resolver == nil:
		return errors.New("orgscan: Revoke needs a Resolver")
	case o.Queue == nil && (o.Scanner == nil || o.Checkpoints == nil):
		return errors.New("orgscan: a Scanner and Checkpoints are required without a Queue")
	}
	o.Parallel = max(o.Parallel, 1)
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Scan is one organisation scan. Its methods are safe for concurrent use.
type Scan struct {
	o Options

	mu    sync.Mutex
	stats Stats
}

// NewScan checks o and returns a scan ready to Run.
func NewScan(o Options) (*Scan, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Scan{o: o}, nil
}

// Run scans repos (here or through workers) and returns when every
// repository has an outcome, ctx ends or, with a Queue, Options.Wait runs
// out. A repository that fails is counted in Stats, not returned: the
// error is nil unless the scan as a whole stopped.
func (s *Scan) Run(ctx context.Context, repos []Repo) error {
	s.update(func(st *Stats) { st.Total = len(repos) })
	if s.o.Queue != nil {
		return s.coordinate(ctx, repos)
	}
	return s.scanLocal(ctx, repos)
}

// Stats returns the scan's statistics so far.
func (s *Scan) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.snapshot()
}

// update changes the statistics and reports them to Options.Progress.
func (s *Scan) update(change func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.stats)
	if s.o.Progress != nil {
		s.o.Progress(s.stats.snapshot())
	}
}

// accept makes one repository's findings durable: it resolves them,
// hands them to the sink with commit (the checkpoint save), and counts
// the repository done. On error nothing is counted and the caller fails
// the repository.
func (s *Scan) accept(ctx context.Context, res RepoResult, commit func() error) error {
	done, err := s.resolve(ctx, res.Findings)
	if err != nil {
		return err
	}
	if err := s.o.Sink.Add(res.Findings, commit); err != nil {
		return err
	}
	s.update(func(st *Stats) { st.addResult(res, done) })
	return nil
}

// fail counts repo failed with err as the reason.
func (s *Scan) fail(repo string, err error) {
	s.update(func(st *Stats) {
		st.Failed++
		st.Failures = append(st.Failures, Failure{Repo: repo, Reason: err.Error()})
	})
}

// resolve settles one repository's findings in one Resolve call: each
// finding gets the status (and action) of its token's outcome, unknown
// and none when the resolver has none. It returns how many tokens were
// revoked and reported to their issuers; any resolver error is returned.
func (s *Scan) resolve(ctx context.Context, fs []scanner.Finding) (done actions, err error) {
	if s.o.Resolver == nil || len(fs) == 0 {
		return done, nil
	}
	outs, err := s.o.Resolver.Resolve(ctx, reports(fs), s.o.Revoke)
	if err != nil {
		return done, fmt.Errorf("resolve findings: %w", err)
	}
	byHash := make(map[leakguard.Hash]revoker.Outcome, len(outs))
	for _, o := range outs {
		byHash[o.Hash] = o
		switch o.Action {
		case leakguard.ActionRevoked:
			done.revoked++
		case leakguard.ActionReported:
			done.reported++
		}
	}
	for i := range fs {
		f := &fs[i]
		f.Status, f.Action = leakguard.StateUnknown, leakguard.ActionNone
		if o, ok := byHash[leakguard.Hash(f.TokenHash)]; ok {
			if o.State != "" {
				f.Status = o.State
			}
			if o.Action != "" {
				f.Action = o.Action
			}
			if r := o.Report; r != nil {
				f.Issuer, f.IssuerState = r.Issuer, string(r.State)
			}
		}
	}
	return done, nil
}

// reports turns findings into leak reports. Findings from workers carry
// no token, only its hash and rule: Rule lets the resolver tell ours.
func reports(fs []scanner.Finding) []revoker.Report {
	reps := make([]revoker.Report, len(fs))
	for i, f := range fs {
		reps[i] = revoker.Report{
			Secret: f.Secret, Hash: f.TokenHash, Rule: f.Rule, Source: leakguard.SourceGitHubOrg,
			URL: f.URL, Path: f.Path, Line: f.Line, Commit: f.Commit,
		}
	}
	return reps
}
