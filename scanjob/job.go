// Package scanjob is one run of `leakguard scan`: it turns the inputs of a
// scan (files and directories, standard input, unified diffs, staged
// changes, git history) into findings, drops the inline-allowed ones and
// those on an ignore list or baseline (package scanner/ignore), gives each
// finding the status of its token — and, when asked, revokes it — through
// one revoker.Resolver call, and says whether the run found something or
// failed.
//
// Invariants: a problem with one input is reported and the run goes on
// with the others; any reported problem, or an interruption, makes the
// run Failed whatever was found; findings come out in a deterministic
// order (report.Sort); no message carries a plaintext token. The package
// parses no flags, opens no store and writes no report: the command does
// that and passes what it opened in.
package scanjob

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/ignore"
	"github.com/leakguard/leakguard/scanner/report"
)

// Mode is what a scan reads.
type Mode int

// The modes of a scan; they exclude each other.
const (
	// ModePaths scans files and directories (recursively) and "-", standard
	// input; no paths means standard input.
	ModePaths Mode = iota
	// ModeDiff scans the added lines of unified diffs: the files named, or
	// standard input.
	ModeDiff
	// ModeStaged scans what git commit would record now in the repository
	// of the current directory; paths limit it (and are scanned whole when
	// they have no staged change).
	ModeStaged
	// ModeGit scans the history of the repository Paths[0] (default "."),
	// limited to the pathspecs Paths[1:].
	ModeGit
)

// Options are what the command asks of one scan.
type Options struct {
	Mode  Mode
	Paths []string
	// Range and Checkpoint apply to ModeGit: a revision range ("" = all
	// refs) and a file remembering the commits scanned already.
	Range, Checkpoint string
	// Config is a token-format configuration file; a .leakguard.toml at a
	// root applies too (patterns.ResolveConfig).
	Config string
	// Baseline is an earlier JSON Lines report whose token hashes are not
	// reported.
	Baseline string
	// Stdin opens standard input for reading until ctx ends; release is
	// called once reading is over. Nil means there is no standard input.
	Stdin func(ctx context.Context) (r io.Reader, release func())
	// Stderr receives git's own messages (ModeStaged, ModeGit).
	Stderr io.Writer
	// BaseEnv is the environment git starts from, before hardening (nil:
	// the process's); see gitsource.Git.
	BaseEnv []string
	// GitProgress, if set, receives the progress of a history scan.
	GitProgress io.Writer
	// Warn shows one problem to the user; msg is escaped already
	// (report.Escape). Nil drops them (the run is Failed all the same).
	Warn func(msg string)
	// Progress, if set, is called before the inputs are read, with the
	// counters of the run; the function it returns is called once they
	// are, before anything else is reported.
	Progress func(*Stats) (stop func())
	// Logger receives a debug line per file scanned.
	Logger zerolog.Logger
	// Resolve fills every finding's status (a store or a server is named);
	// what the resolver does not answer stays unknown. Revoke also
	// revokes every active token of ours and fills the action; Actor is
	// who the revocations are recorded as.
	Resolve, Revoke bool
	Actor           string
	// ReportOthers says the resolver reports other issuers' tokens to
	// them (package issuers): findings get the action and the report's
	// issuer and state, whether or not Resolve is set.
	ReportOthers bool
	// AllowMissing accepts a git scan (ModeGit, ModeStaged) of a partial
	// clone that could not read every object it needed: the missing ones
	// are counted (Result.Missing) either way and never fetched, but
	// without AllowMissing they make the run Failed.
	AllowMissing bool
	// Push, if set, is the push a hook scans (ModeGit, one pushed ref):
	// with a pre-receive hook's, revocations say the tokens leaked through
	// the push, and a bypass revokes nothing but is recorded (see Push).
	Push *Push
	// NoArchives scans archives and compressed files as plain bytes.
	// By default (false) the files and directories scanned (ModePaths)
	// have their archives opened and their entries scanned, within
	// archive.DefaultLimits; a limit hit, an entry skipped (encrypted) or
	// a corrupt archive is reported and makes the run Failed.
	NoArchives bool
	// NoDecode looks for tokens only as written: by default (false) the
	// scanner also decodes base64, hex, percent-encoding, backslash
	// escapes and HTML references, one level nested (docs/findings.md#encodings).
	NoDecode bool
}

// Job is one scan, prepared by New and done by Run.
type Job struct {
	o     Options
	roots []string
	sc    *scanner.Scanner
	col   *collector
	stats Stats
	// missing counts the objects a git scan needed and the repository
	// does not have (a partial clone's).
	missing atomic.Int64

	mu   sync.Mutex
	fail bool // something could not be read, scanned or resolved
}

// New prepares a scan: it finds the roots (whose .leakguard.toml and
// .leakguardignore apply), loads the configuration, builds the scanner and
// reads the ignore lists and the baseline. Its errors are those of the
// configuration and of the lists, unwrapped.
func New(o Options) (*Job, error) {
	j := &Job{o: o, roots: Roots(o.Mode, o.Paths)}
	cfg, err := patterns.ResolveConfig(o.Config, j.roots)
	if err != nil {
		return nil, err
	}
	cat, err := cfg.Catalog()
	if err != nil {
		return nil, err
	}
	j.sc = scanner.NewWithOptions(cat, scanner.Options{NoDecode: o.NoDecode})
	list, err := ignore.Load(j.roots, o.Baseline)
	if err != nil {
		return nil, err
	}
	j.col = &collector{list: list}
	return j, nil
}

// Roots are the directories whose .leakguard.toml and .leakguardignore
// apply: the repository for ModeGit, the current directory for ModeDiff,
// ModeStaged and standard input, and every directory among paths
// otherwise.
func Roots(mode Mode, paths []string) []string {
	switch {
	case mode == ModeGit:
		repo := "."
		if len(paths) > 0 {
			repo = paths[0]
		}
		return []string{repo}
	case mode == ModeDiff || mode == ModeStaged || len(paths) == 0:
		return []string{"."}
	}
	var roots []string
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			roots = append(roots, p)
		}
	}
	return roots
}

// Catalog is the token-format catalog the scan uses (the configuration's).
func (j *Job) Catalog() *patterns.Catalog { return j.sc.Catalog() }

// Errorf reports a problem through Options.Warn and marks the run Failed.
// The message is escaped (report.Escape): it often quotes a path from the
// scanned tree, which may hold escape sequences or newlines.
func (j *Job) Errorf(format string, a ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fail = true
	if j.o.Warn != nil {
		j.o.Warn(report.Escape(fmt.Sprintf(format, a...)))
	}
}

func (j *Job) failed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fail
}

// Run scans the inputs, then resolves the findings through res when
// Options.Resolve is set (res nil: a store that could not be opened, every
// status unknown). It is called once.
func (j *Job) Run(ctx context.Context, res revoker.Resolver) *Result {
	stop := func() {}
	if j.o.Progress != nil {
		stop = j.o.Progress(&j.stats)
	}
	err := j.scan(ctx)
	stop()
	switch {
	case ctx.Err() != nil:
		j.Errorf("interrupted: the report holds only what was scanned before")
	case err != nil:
		j.Errorf("%v", err)
	}
	missing := j.missing.Load()
	if missing > 0 && !j.o.AllowMissing {
		j.Errorf("%s", missingError(missing))
	}
	findings := j.col.result()
	counts := j.settle(ctx, res, findings)
	return &Result{
		Findings:       findings,
		Suppressed:     j.col.suppressed,
		Allowed:        j.col.allowed,
		Revoked:        counts.revoked,
		Reported:       counts.reported,
		ReportsPending: counts.pending,
		Inputs:         j.stats.Inputs(),
		Bytes:          j.stats.Bytes(),
		Unmatched:      j.col.list.Unmatched(),
		Missing:        missing,
		Failed:         j.failed(),
		Interrupted:    ctx.Err() != nil,
	}
}

// scan reads the inputs of the mode.
func (j *Job) scan(ctx context.Context) error {
	switch j.o.Mode {
	case ModeGit, ModeStaged:
		return j.scanGit(ctx)
	case ModeDiff:
		return j.scanDiffs(ctx)
	}
	paths := j.o.Paths
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	return j.scanPaths(ctx, paths)
}

// Result is what a run found and did.
type Result struct {
	// Findings are the reported findings, sorted, with status (and
	// action) filled when Options.Resolve (Options.Revoke) is set.
	Findings []scanner.Finding
	// Suppressed counts findings on an ignore list or the baseline;
	// Allowed those marked allowed inline; Revoked the tokens this run
	// revoked.
	Suppressed, Allowed, Revoked int
	// Reported counts the tokens this run reported to their issuers;
	// ReportsPending those whose report still waits for an answer.
	Reported, ReportsPending int
	// Inputs and Bytes count what was read (files, streams, diffs).
	Inputs, Bytes int64
	// Unmatched lists the ignore and baseline entries that suppressed
	// nothing, as "file:line: hash".
	Unmatched []string
	// Missing counts the objects a git scan needed that the repository
	// does not have (a partial clone's blobs, never fetched): not scanned.
	// Unless Options.AllowMissing, any makes the run Failed.
	Missing int64
	// Failed is set when a problem was reported through Options.Warn;
	// Interrupted when the context ended.
	Failed, Interrupted bool
}

// Status is how a run ended, for the exit code.
type Status int

// The statuses of a run, from best to worst.
const (
	Clean  Status = iota // nothing found, nothing failed
	Found                // findings, nothing failed
	Failed               // something could not be read, scanned or resolved, or the run was interrupted: whatever was found
)

// Status is Failed when anything failed or the run was interrupted, else
// Found when there are findings, else Clean.
func (r *Result) Status() Status {
	switch {
	case r.Failed || r.Interrupted:
		return Failed
	case len(r.Findings) > 0:
		return Found
	}
	return Clean
}
