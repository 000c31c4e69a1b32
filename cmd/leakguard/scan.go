package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/rs/zerolog"
)

// scanOptions are the flags and arguments of `leakguard scan`.
type scanOptions struct {
	format, output, logLevel string
	config, baseline         string
	db, server, redis        string
	rangeSpec, checkpoint    string
	quiet, diff, staged, git bool
	revoke                   bool
	paths                    []string
}

const scanUsage = `usage: leakguard scan [flags] [PATH...]
       leakguard scan --diff [FILE...]      (a unified diff; default stdin)
       leakguard scan --staged [FILE...]    (what git commit would record now)
       leakguard scan --git [--range A..B] [REPO [PATHSPEC...]]

Scans files and directories (recursively; symlinks are not followed, .git
folders and FIFOs inside them are skipped). "-" is stdin; with no PATH, stdin
is scanned when it is a pipe or a file, and with stdin a terminal the command
stops with a usage error rather than guessing ("." scans the current
directory). A FIFO or pipe named as a PATH (as in scan <(cmd)) is read until
its writer closes it.
Exit codes: 0 no findings, 1 findings, 2 error (anything unreadable); 130 or
143 when stopped by SIGINT or SIGTERM.

With --db or --server every finding of a token format this installation
issues gets its status (active, revoked, expired, unknown); with --revoke,
active ones are revoked, reason "leaked: <source> <path>:<line>". --server
reads a bearer token (a service token) from LEAKGUARD_TOKEN and sends token
hashes only, never a token. Without --db and --server no store is opened.

Flags (each has an environment twin LEAKGUARD_<NAME>):
`

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
	fs.StringVar(&o.config, "config", "", "token-format configuration `FILE` (TOML); .leakguard.toml at a scanned root applies too")
	fs.StringVar(&o.baseline, "baseline", "", "ignore every token_hash of this JSON Lines `REPORT` (an earlier --format json output)")
	fs.StringVar(&o.db, "db", "", "token store `DSN`, to fill status: sqlite:PATH (an existing file) or postgres://...")
	fs.StringVar(&o.redis, "redis", "", "with --db: Redis cache `URL` in front of the store")
	fs.StringVar(&o.server, "server", "", "leakguard server `URL`, to fill status and revoke through its API (bearer token in LEAKGUARD_TOKEN)")
	fs.BoolVar(&o.revoke, "revoke", false, "revoke every active token of ours that is found (needs --db or --server)")
	fs.Usage = func() {
		fmt.Fprint(stderr, scanUsage)
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
		if p, err := defaultDBPath(getenv); err == nil {
			hint = "sqlite:" + p
		}
		return usageError("--revoke needs the token store named: --db DSN (the embedded default store is --db %s) or --server URL", hint)
	}
	return nil
}

// serverTimeout bounds one request to --server.
const serverTimeout = 30 * time.Second

// scanRun is the state of one `leakguard scan`.
type scanRun struct {
	o     scanOptions
	sio   IO
	log   zerolog.Logger
	sc    *scanner.Scanner
	col   *collector
	stats scanStats
	// client talks to --server; resolver is the opened --db or --server
	// (nil without them); revoked counts tokens this scan revoked.
	client   *http.Client
	resolver tokenResolver
	revoked  int

	mu   sync.Mutex
	fail bool // something could not be read or scanned
}

func runScan(ctx context.Context, args []string, sio IO) error {
	if _, isFile := sio.Stderr.(*os.File); !isFile && sio.Stderr != nil {
		// workers report concurrently; an *os.File is safe for that, a
		// buffer (tests) is not
		sio.Stderr = &lockedWriter{w: sio.Stderr}
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
	r := &scanRun{o: o, sio: sio, log: log, client: &http.Client{Timeout: serverTimeout}}
	return r.run(ctx)
}

func (r *scanRun) run(ctx context.Context) error {
	now := r.sio.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	roots, err := r.roots()
	if err != nil {
		return err
	}
	if err := r.setup(roots); err != nil {
		return err
	}
	if r.resolver, err = r.openResolver(ctx); err != nil {
		return err
	}
	if r.resolver != nil {
		defer r.resolver.Close()
	}
	stop := startProgress(r.sio.Stderr, !r.o.quiet, &r.stats, now)
	err = r.scan(ctx)
	stop()
	switch {
	case ctx.Err() != nil:
		r.errorf("interrupted: the report holds only what was scanned before")
	case err != nil:
		r.errorf("%v", err)
	}
	findings := r.col.result()
	r.settle(ctx, findings)
	if err := r.write(findings); err != nil {
		return err
	}
	r.reportUnmatched()
	if !r.o.quiet {
		r.summary(findings, now().Sub(start))
	}
	switch {
	case r.failed() || ctx.Err() != nil:
		return &exitError{code: exitFail}
	case len(findings) > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}

// errorf reports a problem on stderr and marks the scan as failed (exit 2).
// The message is escaped (report.Escape): it often quotes a path from the
// scanned tree, which may hold escape sequences or newlines.
func (r *scanRun) errorf(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = true
	warnf(r.sio.Stderr, "%s", report.Escape(fmt.Sprintf(format, a...)))
}

func (r *scanRun) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fail
}

// roots are the directories whose .leakguard.toml and .leakguardignore
// apply: every directory argument, the repository for --git, the current
// directory for stdin, --diff and --staged.
func (r *scanRun) roots() ([]string, error) {
	o := r.o
	switch {
	case o.git:
		repo := "."
		if len(o.paths) > 0 {
			repo = o.paths[0]
		}
		return []string{repo}, nil
	case o.diff && len(o.paths) == 0 && !stdinUsable(r.sio.Stdin):
		return nil, usageError("--diff reads the diff from stdin, which is not a pipe: pipe it in (git diff | leakguard scan --diff)")
	case o.diff || o.staged:
		return []string{"."}, nil
	}
	if len(o.paths) == 0 {
		if !stdinUsable(r.sio.Stdin) {
			return nil, usageError("no PATH given and stdin is not a pipe: name what to scan ('.' for the current directory) or pipe data in")
		}
		return []string{"."}, nil
	}
	var roots []string
	for _, p := range o.paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			roots = append(roots, p)
		}
	}
	return roots, nil
}

// stdinUsable reports whether stdin may be read as input: a pipe or a file,
// not a terminal (or /dev/null), and not absent.
func stdinUsable(in io.Reader) bool {
	if in == nil {
		return false
	}
	f, ok := in.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice == 0
}

// setup loads the configuration, builds the scanner and the suppression
// lists.
func (r *scanRun) setup(roots []string) error {
	cfg, err := patterns.ResolveConfig(r.o.config, roots)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	cat, err := cfg.Catalog()
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	r.sc = scanner.New(cat)
	sup, err := loadSuppressions(roots, r.o.baseline)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	r.col = newCollector(sup)
	return nil
}

// scan runs the selected source.
func (r *scanRun) scan(ctx context.Context) error {
	o := r.o
	switch {
	case o.git || o.staged:
		req := gitScanRequest{Staged: o.staged, Range: o.rangeSpec, Checkpoint: o.checkpoint, Stderr: r.sio.Stderr}
		req.Files = o.paths
		if o.git && len(o.paths) > 0 {
			req.Repo, req.Files = o.paths[0], o.paths[1:]
		}
		return scanGit(ctx, req, r.sc, r.col.add)
	case o.diff:
		return r.scanDiffs(ctx)
	}
	paths := o.paths
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	return r.scanPaths(ctx, paths)
}

// write writes the report to stdout or, atomically, to --output.
func (r *scanRun) write(findings []scanner.Finding) error {
	opts := report.Options{Version: buildVersion(), Catalog: r.sc.Catalog()}
	if wd, err := os.Getwd(); err == nil {
		opts.Root = wd
	}
	if r.o.output != "" {
		err := writeAtomic(r.o.output, func(w io.Writer) error {
			return report.Write(w, r.o.format, findings, opts)
		})
		if err != nil {
			return &exitError{code: exitFail, err: err}
		}
		return nil
	}
	getenv := r.sio.Getenv
	opts.Color = isTerminal(r.sio.Stdout) && (getenv == nil || getenv("NO_COLOR") == "")
	if err := report.Write(r.sio.Stdout, r.o.format, findings, opts); err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("write report: %w", err)}
	}
	return nil
}

// writeAtomic writes a file through a temporary file in the same directory
// and a rename, so readers never see a half-written report.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	return nil
}

// summary prints one line about the scan on stderr.
func (r *scanRun) summary(findings []scanner.Finding, took time.Duration) {
	rules := map[string]bool{}
	for _, f := range findings {
		rules[f.Rule] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s (%d %s)", len(findings), plural(len(findings), "finding"), len(rules), plural(len(rules), "rule"))
	if n := r.col.suppressed; n > 0 {
		fmt.Fprintf(&b, ", %d suppressed", n)
	}
	if n := r.col.allowed; n > 0 {
		fmt.Fprintf(&b, ", %d allowed inline", n)
	}
	if r.o.revoke {
		fmt.Fprintf(&b, ", %d %s revoked", r.revoked, plural(r.revoked, "token"))
	}
	files, bytes := r.stats.files.Load(), r.stats.bytes.Load()
	if files > 0 || bytes > 0 {
		fmt.Fprintf(&b, "; %d %s, %s scanned", files, plural(int(files), "input"), humanBytes(bytes))
	}
	fmt.Fprintf(&b, " in %s", took.Round(time.Millisecond))
	warnf(r.sio.Stderr, "%s", b.String())
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// humanBytes formats a byte count with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
