package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/interrupt"
	"github.com/leakguard/leakguard/internal/progress"
	"github.com/leakguard/leakguard/internal/term"
	"github.com/leakguard/leakguard/scanjob"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store/storeopen"
)

// scanOptions are the flags and arguments of `leakguard scan`.
type scanOptions struct {
	format, output, logLevel                   string
	config, baseline                           string
	db, server, redis                          string
	rangeSpec, checkpoint                      string
	quiet, diff, staged, git                   bool
	revoke, allowMissing, noArchives, noDecode bool
	others                                     othersFlags
	paths                                      []string
}

// newScanFlags declares the flags of `leakguard scan` into o.
func newScanFlags(o *scanOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("scan", stderr)
	fs.StringVar(&o.format, "format", report.FormatText, "output format: text, json (JSON Lines) or sarif")
	fs.StringVar(&o.output, "output", "", "write the report to `FILE` (atomically) instead of stdout")
	fs.BoolVar(&o.quiet, "quiet", false, "no summary, progress or warnings on stderr (errors still)")
	fs.StringVar(&o.logLevel, "log-level", "", "log level: debug, info, warn, error (default info; error with --quiet)")
	fs.BoolVar(&o.diff, "diff", false, "input is a unified diff (git diff, git log -p): report added lines only")
	fs.BoolVar(&o.staged, "staged", false, "scan the staged changes of the git repository in the current directory")
	fs.BoolVar(&o.git, "git", false, "scan the git history of the repository at PATH (default .)")
	fs.StringVar(&o.rangeSpec, "range", "", "with --git: the revision range `A..B` (default all refs)")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "with --git: remember scanned commits in `FILE` and skip them next time")
	fs.BoolVar(&o.noArchives, "no-archives", false, noArchivesUsage)
	fs.BoolVar(&o.noDecode, "no-decode", false, "look for tokens only as written, not inside base64, hex, percent-encoding, \\u/\\x escapes or HTML references")
	fs.BoolVar(&o.allowMissing, "allow-missing", false, "with --git or --staged: objects a partial clone lacks are counted, not fatal (exit 0/1, not 2)")
	fs.StringVar(&o.config, "config", "", "token-format configuration `FILE` (TOML); .leakguard.toml at a scanned root applies too")
	fs.StringVar(&o.baseline, "baseline", "", "ignore every token_hash of this JSON Lines `REPORT` (an earlier --format json output)")
	fs.StringVar(&o.db, "db", "", "token store `DSN`, to fill status: sqlite:PATH (an existing file) or postgres://...")
	fs.StringVar(&o.redis, "redis", "", "with --db: Redis cache `URL` in front of the store")
	fs.StringVar(&o.server, "server", "", "leakguard server `URL`, to fill status and revoke through its API (bearer token in LEAKGUARD_TOKEN)")
	fs.BoolVar(&o.revoke, "revoke", false, "revoke every active token of ours that is found (needs --db or --server)")
	o.others.declare(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText("scan"))
		fs.PrintDefaults()
	}
	return fs
}

// parseScanArgs parses flags and positional arguments in any order ("--"
// ends flags), then fills unset flags from the environment.
func parseScanArgs(args []string, sio IO) (scanOptions, error) {
	var o scanOptions
	fs := newScanFlags(&o, sio.Stderr)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return o, &exitError{code: exitOK}
			}
			return o, &exitError{code: exitFail, err: err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			o.paths = append(o.paths, rest...)
			break
		}
		o.paths = append(o.paths, rest[0])
		args = rest[1:]
	}
	getenv := envOf(sio)
	if err := parseFlags(fs, nil, getenv); err != nil {
		return o, err
	}
	return o, o.validate(getenv)
}

// validate checks flag combinations.
func (o *scanOptions) validate(getenv func(string) string) error {
	if !report.ValidFormat(o.format) {
		return usageError("bad --format %q: want text, json or sarif", o.format)
	}
	modes := 0
	for _, on := range []bool{o.diff, o.staged, o.git} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usageError("--diff, --staged and --git exclude each other")
	}
	if !o.git && (o.rangeSpec != "" || o.checkpoint != "") {
		return usageError("--range and --checkpoint need --git")
	}
	if err := o.others.check(); err != nil {
		return err
	}
	return o.validateStore(getenv)
}

// validateStore checks --db, --server, --redis and --revoke. --revoke never
// falls back to the embedded default store: revoking is irreversible, so
// the store is named explicitly.
func (o *scanOptions) validateStore(getenv func(string) string) error {
	switch {
	case o.db != "" && o.server != "":
		return usageError("--db and --server exclude each other: look tokens up in a store or ask a server")
	case o.redis != "" && o.db == "":
		return usageError("--redis needs --db (it caches that store)")
	case o.revoke && o.db == "" && o.server == "":
		hint := "sqlite:PATH"
		if p, err := storeopen.DefaultPath(getenv); err == nil {
			hint = "sqlite:" + p
		}
		return usageError("--revoke needs the token store named: --db DSN (the embedded default store is --db %s) or --server URL", hint)
	}
	return nil
}

// serverTimeout bounds one request to --server.
const serverTimeout = 30 * time.Second

// scanRun is the wiring of one `leakguard scan`: the options, the streams
// and the scan job (package scanjob) it runs.
type scanRun struct {
	o      scanOptions
	sio    IO
	log    zerolog.Logger
	job    *scanjob.Job
	client *http.Client           // talks to --server
	tune   func(*scanjob.Options) // a hook's changes to the job (nil: none)
}

func runScan(ctx context.Context, args []string, sio IO) error {
	return runScanTuned(ctx, args, sio, nil)
}

// runScanTuned is runScan with tune applied to the job's options.
func runScanTuned(ctx context.Context, args []string, sio IO, tune func(*scanjob.Options)) error {
	if _, isFile := sio.Stderr.(*os.File); !isFile && sio.Stderr != nil {
		// workers report concurrently; an *os.File is safe for that, a
		// buffer (tests) is not
		sio.Stderr = &term.Locked{W: sio.Stderr}
	}
	o, err := parseScanArgs(args, sio)
	if err != nil {
		return err
	}
	level := o.logLevel
	if level == "" && o.quiet {
		level = "error"
	}
	log, err := newLogger(sio.Stderr, level)
	if err != nil {
		return err
	}
	r := &scanRun{o: o, sio: sio, log: log, client: &http.Client{Timeout: serverTimeout}, tune: tune}
	return r.run(ctx)
}

func (r *scanRun) run(ctx context.Context) error {
	now := r.sio.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	if err := r.checkStdin(); err != nil {
		return err
	}
	job, err := scanjob.New(r.jobOptions(now))
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	r.job = job
	resolver, err := r.openResolver(ctx)
	if err != nil {
		return err
	}
	if resolver != nil {
		defer resolver.Close()
	}
	result := job.Run(ctx, resolver) // a nil tokenResolver is a nil revoker.Resolver
	if err := r.write(result.Findings); err != nil {
		return err
	}
	if !r.o.quiet {
		for _, e := range result.Unmatched {
			warnf(r.sio.Stderr, "%s matched no finding (stale entry?)", e)
		}
		warnf(r.sio.Stderr, "%s", result.Summary(r.o.revoke, now().Sub(start)))
	}
	switch { // an interruption while the report was written fails too
	case result.Status() == scanjob.Failed || ctx.Err() != nil:
		return &exitError{code: exitFail}
	case result.Status() == scanjob.Found:
		return &exitError{code: exitFindings}
	}
	return nil
}

// checkStdin refuses to guess when the input would be a standard input
// that is not a pipe or a file: with no PATH, and for --diff with no FILE.
func (r *scanRun) checkStdin() error {
	o := r.o
	if len(o.paths) > 0 || o.git || o.staged || term.StdinUsable(r.sio.Stdin) {
		return nil
	}
	if o.diff {
		return usageError("--diff reads the diff from stdin, which is not a pipe: pipe it in (git diff | leakguard scan --diff)")
	}
	return usageError("no PATH given and stdin is not a pipe: name what to scan ('.' for the current directory) or pipe data in")
}

// jobOptions are the scan job's options from the flags and streams.
func (r *scanRun) jobOptions(now func() time.Time) scanjob.Options {
	o := r.o
	jo := scanjob.Options{
		Mode: scanjob.ModePaths, Paths: o.paths, Range: o.rangeSpec, Checkpoint: o.checkpoint,
		Config: o.config, Baseline: o.baseline, Stderr: r.sio.Stderr, BaseEnv: environOf(r.sio), Logger: r.log,
		Warn:    func(msg string) { warnf(r.sio.Stderr, "%s", msg) },
		Resolve: o.db != "" || o.server != "", Revoke: o.revoke, Actor: defaultActor(r.sio), ReportOthers: o.others.on,
		AllowMissing: o.allowMissing, NoArchives: o.noArchives, NoDecode: o.noDecode,
	}
	switch {
	case o.diff:
		jo.Mode = scanjob.ModeDiff
	case o.staged:
		jo.Mode = scanjob.ModeStaged
	case o.git:
		jo.Mode = scanjob.ModeGit
	}
	if in := r.sio.Stdin; in != nil {
		jo.Stdin = func(ctx context.Context) (io.Reader, func()) { return interrupt.Reader(ctx, in) }
	}
	if r.sio.Stderr != nil && term.Is(r.sio.Stderr) {
		jo.GitProgress = r.sio.Stderr // progress only on a terminal, never in CI or pipes
	}
	if !o.quiet && term.Is(r.sio.Stderr) { // a progress line only on a terminal
		jo.Progress = func(st *scanjob.Stats) func() {
			start := now()
			return progress.Start(progress.Options{W: r.sio.Stderr, Terminal: true},
				func() string { return st.ProgressLine(now().Sub(start)) })
		}
	}
	if r.tune != nil {
		r.tune(&jo)
	}
	return jo
}

// write writes the report to stdout or, atomically, to --output.
func (r *scanRun) write(findings []scanner.Finding) error {
	opts := report.Options{Version: buildVersion(), Catalog: r.job.Catalog(),
		Color: term.Is(r.sio.Stdout) && envOf(r.sio)("NO_COLOR") == ""}
	opts.Root, _ = os.Getwd()
	if err := report.Emit(r.sio.Stdout, r.o.output, r.o.format, findings, opts); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}
