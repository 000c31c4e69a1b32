package orgscan

import (
	"context"
	"time"

	"github.com/leakguard/leakguard/orgscan/queue"
	"github.com/leakguard/leakguard/scanner"
	reposcan "github.com/leakguard/leakguard/scanner/orgscan"
)

// Repo is one repository to scan: its owner/name, clone URL and web page.
type Repo = reposcan.Repo

// RepoResult is the outcome of scanning one repository: its findings, the
// checkpoint that covers them, and what the scan read.
type RepoResult = reposcan.Result

// RepoScanner scans one repository from a checkpoint (*Scanner of package
// scanner/orgscan).
type RepoScanner interface {
	// ScanRepo scans what is new in r since prev (nil: the whole history)
	// and returns the findings with the checkpoint that covers them,
	// unsaved.
	ScanRepo(ctx context.Context, r Repo, prev []byte) (RepoResult, error)
}

// Checkpoints keeps each repository's checkpoint (FileCheckpoints of
// package scanner/orgscan).
type Checkpoints interface {
	// Load returns the checkpoint of repo, or nil when there is none.
	Load(ctx context.Context, repo string) ([]byte, error)
	// Save records the checkpoint of repo durably.
	Save(ctx context.Context, repo string, data []byte) error
}

// Sink is where findings go: a report written as repositories finish, or
// collected and written at the end.
type Sink interface {
	// Add takes one repository's findings, status and action filled.
	// commit, when not nil, saves the repository's checkpoint: Add runs it
	// once the findings are durable — before it returns, or later, after
	// the final report is written — and returns or reports its error.
	Add(findings []scanner.Finding, commit func() error) error
}

// SinkFunc is a function that is a Sink.
type SinkFunc func(findings []scanner.Finding, commit func() error) error

// Add implements Sink.
func (f SinkFunc) Add(findings []scanner.Finding, commit func() error) error {
	return f(findings, commit)
}

// Queue is what an organisation scan needs of a job queue (package
// redisstreams; an in-memory one in orgscan/queuetest). Delivery is at
// least once: a job may be reported more than once, and the coordinator
// counts it once.
type Queue interface {
	// Enqueue adds jobs.
	Enqueue(ctx context.Context, jobs []queue.Job) error
	// Results returns the results of run that follow the cursor after (""
	// from the start), in order, waiting up to block when there are none
	// yet; it returns no results and no error when none came.
	Results(ctx context.Context, run, after string, block time.Duration) ([]queue.Result, error)
	// DropRun deletes the results of run.
	DropRun(ctx context.Context, run string) error
	// State returns the state value at key, or nil when there is none.
	State(ctx context.Context, key string) ([]byte, error)
	// SetState saves the state value at key durably.
	SetState(ctx context.Context, key string, value []byte) error
	// Work consumes jobs with h until ctx ends (then it returns nil) or,
	// with ExitIdle, until the queue is drained. A job is acknowledged only
	// in the step that makes its result durable and saves its outcome's
	// State; a handler error starts it again, up to the queue's attempt
	// limit, and then gives it a dead result with the last error. Without a
	// consumer name it returns queue.ErrNoConsumer.
	Work(ctx context.Context, w queue.WorkOptions, h queue.Handler) error
}
