package orgscan_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
)

// Hashes of the test tokens.
var (
	hashA = strings.Repeat("a", 64)
	hashB = strings.Repeat("b", 64)
	hashC = strings.Repeat("c", 64)
)

// finding is a finding of the token with hash h in repo at line.
func finding(repo, h string, line int) scanner.Finding {
	return scanner.Finding{
		Rule: "leakguard-user", TokenHash: h, Redacted: "lgu_…" + h[:4], Path: "conf/app.env", Line: line,
		Source: leakguard.SourceGitHubOrg, Repository: repo, URL: "https://github.com/" + repo + "/blob/c0ffee/conf/app.env",
		Secret: patterns.NewSecret("lgu_plaintext_" + h[:8]), Issued: true,
	}
}

// repos returns repositories named acme/<name>.
func repos(names ...string) []orgscan.Repo {
	out := make([]orgscan.Repo, len(names))
	for i, n := range names {
		out[i] = orgscan.Repo{FullName: "acme/" + n, CloneURL: "file:///repos/" + n + ".git"}
	}
	return out
}

// trimOwner returns the names of acme/<name> repositories.
func trimOwner(full []string) []string {
	out := make([]string, len(full))
	for i, f := range full {
		out[i] = strings.TrimPrefix(f, "acme/")
	}
	return out
}

// fakeRepo is what fakeScanner finds in one repository.
type fakeRepo struct {
	findings []scanner.Finding
	err      error
}

// fakeScanner is an orgscan.RepoScanner over a table; it records the
// checkpoints it was given and how many scans ran at once.
type fakeScanner struct {
	repos map[string]fakeRepo
	delay time.Duration

	mu               sync.Mutex
	prevs            map[string][]string
	running, maxSeen int
}

func newFakeScanner(repos map[string]fakeRepo) *fakeScanner {
	return &fakeScanner{repos: repos, prevs: map[string][]string{}}
}

func (f *fakeScanner) ScanRepo(ctx context.Context, r orgscan.Repo, prev []byte) (orgscan.RepoResult, error) {
	f.mu.Lock()
	f.prevs[r.FullName] = append(f.prevs[r.FullName], string(prev))
	f.running++
	f.maxSeen = max(f.maxSeen, f.running)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return orgscan.RepoResult{}, ctx.Err()
		}
	}
	fr := f.repos[r.FullName]
	if fr.err != nil {
		return orgscan.RepoResult{Repo: r.FullName}, fr.err
	}
	cp := "cp:" + r.FullName
	return orgscan.RepoResult{
		Repo: r.FullName, Findings: slices.Clone(fr.findings), Checkpoint: []byte(cp),
		Unchanged: string(prev) == cp, Empty: len(fr.findings) == 0 && strings.HasSuffix(r.FullName, "empty"),
		Objects: 10, Bytes: 1000,
	}, nil
}

// prevsOf returns the checkpoints repo was scanned from.
func (f *fakeScanner) prevsOf(repo string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.prevs[repo])
}

// memCheckpoints is an orgscan.Checkpoints in memory.
type memCheckpoints struct {
	mu      sync.Mutex
	saved   map[string]string
	loadErr error
}

func newMemCheckpoints() *memCheckpoints { return &memCheckpoints{saved: map[string]string{}} }

func (c *memCheckpoints) Load(_ context.Context, repo string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loadErr != nil {
		return nil, c.loadErr
	}
	if v, ok := c.saved[repo]; ok {
		return []byte(v), nil
	}
	return nil, nil
}

func (c *memCheckpoints) Save(_ context.Context, repo string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.saved[repo] = string(data)
	return nil
}

func (c *memCheckpoints) snapshot() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.saved))
	for k, v := range c.saved {
		out[k] = v
	}
	return out
}

// recSink is an orgscan.Sink that records findings. Streaming, it commits
// at once; deferred, at flush (as a text or SARIF report does).
type recSink struct {
	deferred bool
	err      error

	mu      sync.Mutex
	got     []scanner.Finding
	pending []func() error
}

func (s *recSink) Add(fs []scanner.Finding, commit func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, fs...)
	switch {
	case commit == nil:
		return nil
	case s.deferred:
		s.pending = append(s.pending, commit)
		return nil
	}
	return commit()
}

func (s *recSink) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.pending {
		if err := c(); err != nil {
			return err
		}
	}
	s.pending = nil
	return nil
}

func (s *recSink) findings() []scanner.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// fakeResolver is a revoker.Resolver over a table of our tokens' states:
// one outcome per distinct hash, an error for the hashes in fail.
type fakeResolver struct {
	fail map[string]bool

	mu     sync.Mutex
	states map[string]leakguard.State
	calls  []resolveCall
}

type resolveCall struct {
	reps   []revoker.Report
	revoke bool
}

func (r *fakeResolver) Resolve(_ context.Context, reps []revoker.Report, revoke bool) ([]revoker.Outcome, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, resolveCall{reps: slices.Clone(reps), revoke: revoke})
	seen := map[string]bool{}
	var outs []revoker.Outcome
	var errs []error
	for i, rep := range reps {
		if seen[rep.Hash] {
			continue
		}
		seen[rep.Hash] = true
		o := revoker.Outcome{Hash: leakguard.Hash(rep.Hash), First: i, State: leakguard.StateUnknown, Action: leakguard.ActionNone}
		st, ours := r.states[rep.Hash]
		switch {
		case r.fail[rep.Hash]:
			o.Err = errors.New("store unreachable")
			errs = append(errs, o.Err)
		case ours && revoke && st == leakguard.StateActive:
			r.states[rep.Hash] = leakguard.StateRevoked
			o.Ours, o.State, o.Action = true, leakguard.StateRevoked, leakguard.ActionRevoked
		case ours:
			o.Ours, o.State = true, st
		}
		outs = append(outs, o)
	}
	return outs, errors.Join(errs...)
}

func (r *fakeResolver) callsSoFar() []resolveCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}
