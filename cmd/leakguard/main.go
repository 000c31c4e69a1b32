// Command leakguard finds leaked API tokens and kills them: it scans files,
// diffs and git history, issues and verifies tokens, and serves the token API
// and GitHub's secret-scanning partner endpoint.
//
// This package is the only wiring layer: it reads flags and environment,
// builds stores, scanners and servers, and maps errors to exit codes.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/interrupt"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store/storeopen"
)

// Exit codes shared by every command (docs/cli.md#exit-codes); a command ended by
// SIGINT or SIGTERM exits 130 or 143 instead (package internal/interrupt).
const (
	exitOK       = 0
	exitFindings = 1 // scan: findings; token verify: invalid; revoke: not found
	exitFail     = 2
)

// IO is a command's environment: its streams, environment variables and
// clock. Tests pass their own.
type IO struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Environ func() []string // git's base environment, hardened before use (nil: the process's)
	Now     func() time.Time
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode returns an error's exit code: exitFail's own, else exitFail.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFail
}

func main() {
	sio := IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Environ: os.Environ, Now: time.Now}
	// go-redis v9 logs through one process-wide logger (dial failures,
	// straight to stderr by default), so it is set here, once, and never by
	// library code or by Run, which tests call. The Redis cache and the
	// queue report failures through the command's own logger (the cache
	// warns once per outage, with the error); go-redis' lines are dropped.
	redis.SetLogger(storeopen.RedisLog{Log: zerolog.Nop()})
	os.Exit(runMain(os.Args[1:], sio))
}

// signalGrace is how long a command may take to wind down after the first
// SIGINT or SIGTERM before the process exits anyway. Reads of stdin, pipes
// and FIFOs, HTTP calls and git subprocesses all stop on the context; the
// grace covers what cannot (an open(2) of a FIFO named by --config, a
// stuck network filesystem).
const signalGrace = 2 * time.Second

// drainGrace is serve's and worker's grace: SIGTERM is how they are
// stopped, and they drain in-flight requests and jobs first (serve's
// shutdown timeout is 20 s).
const drainGrace = 30 * time.Second

// stopGrace is the grace of the command named name.
func stopGrace(name string) time.Duration {
	switch name {
	case "serve", "worker":
		return drainGrace
	}
	return signalGrace
}

// runMain runs the command line args as the process does and returns its
// exit code. The first SIGINT or SIGTERM cancels the command's context; a
// command that then ends with anything but success exits 130 (SIGINT) or
// 143 (SIGTERM), so that scripts can tell an interrupted run from a failed
// one (serve and worker, stopped cleanly, exit 0). A second signal, or the
// grace period running out, ends the process at once with the same code,
// whatever the command is blocked on.
func runMain(args []string, sio IO) int {
	grace := signalGrace
	if len(args) > 0 {
		grace = stopGrace(args[0])
	}
	return interrupt.Run(grace, sio.Stderr, os.Exit, func(ctx context.Context) int {
		return Run(ctx, args, sio)
	})
}

// command is one subcommand: its name, a one-line summary and its runner.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, sio IO) error
}

func commands() []command {
	return []command{
		{"scan", "scan files, stdin, diffs, staged changes or git history for tokens", runScan},
		{"token", "issue, verify, revoke and list tokens in the store", runToken},
		{"serve", "run the HTTP server: token API, GitHub partner endpoint, health, metrics", runServe},
		{"hook", "git hooks (hook install [--pre-push|--pre-receive], pre-push, pre-receive)", runHook},
		{"github", "scan GitHub organisations and sync secret-scanning alerts", runGitHub},
		{"reports", "list the reports of other issuers' leaked tokens to their issuers", runReports},
		{"worker", "consume 'github scan --queue' jobs from Redis Streams", runWorker},
		{"demo", "issue a token, leak it into a file, scan, revoke and verify (embedded store)", runDemo},
		{"version", "print the version", runVersion},
	}
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, sio IO) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(sio.Stderr)
		if len(args) == 0 {
			return exitFail
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], sio)
			if err != nil && !errors.Is(err, errSilent) {
				var ee *exitError
				if !errors.As(err, &ee) || ee.err != nil {
					fmt.Fprintf(sio.Stderr, "leakguard %s: %s\n", c.name, report.Escape(patterns.Default().RedactTokens(err.Error())))
				}
			}
			return exitCode(err)
		}
	}
	fmt.Fprintf(sio.Stderr, "leakguard: unknown command %q\n", patterns.Default().RedactTokens(args[0]))
	usage(sio.Stderr)
	return exitFail
}

// errSilent marks an error already reported to the user.
var errSilent = errors.New("already reported")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: leakguard <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'leakguard <command> -h' for a command's flags. Every flag has an")
	fmt.Fprintln(w, "environment twin: LEAKGUARD_ + its upper-case name with _ (LEAKGUARD_DB).")
	fmt.Fprintln(w, "SIGINT or SIGTERM stops a command, which then exits 130 or 143 (serve and")
	fmt.Fprintln(w, "worker drain first and exit 0); a second signal exits at once.")
}

// usageTexts are the commands' long help texts, in usage/NAME.txt.
//
//go:embed usage/*.txt
var usageTexts embed.FS

// usageText is the long help text of a command.
func usageText(name string) string {
	b, _ := usageTexts.ReadFile("usage/" + name + ".txt") // embedded: present
	return string(b)
}
