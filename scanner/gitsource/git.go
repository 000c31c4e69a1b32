package gitsource

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
)

// ErrGit wraps every failure of a git process, so callers can tell a git
// problem (exit 2 with git's message) from other errors.
var ErrGit = errors.New("git")

// safeConfig is prepended to every git invocation: no hooks, no fsmonitor
// daemon, no network transport (partial clones cannot lazily fetch), literal
// pathspecs and no optional index locks. Diff-producing commands add
// --no-ext-diff --no-textconv themselves.
var safeConfig = []string{
	"-c", "core.hooksPath=/dev/null",
	"-c", "core.fsmonitor=false",
	"-c", "protocol.allow=never",
	"-c", "core.quotePath=false",
	"--literal-pathspecs",
	"--no-optional-locks",
}

// Git runs git commands in one directory with the safe configuration.
type Git struct {
	Dir  string   // working directory of every command ("" = current)
	Path string   // git executable ("" = "git" on PATH)
	Env  []string // extra environment (appended to the process's)
}

func (g Git) command(ctx context.Context, args ...string) *exec.Cmd {
	exe := g.Path
	if exe == "" {
		exe = "git"
	}
	cmd := exec.CommandContext(ctx, exe, append(append([]string(nil), safeConfig...), args...)...)
	cmd.Dir = g.Dir
	cmd.Env = append(append(os.Environ(), "GIT_NO_LAZY_FETCH=1", "GIT_TERMINAL_PROMPT=0"), g.Env...)
	return cmd
}

// Output runs git args with stdin (may be nil) and returns its stdout. A
// non-zero exit is an ErrGit error with git's stderr.
func (g Git) Output(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := g.command(ctx, args...)
	cmd.Stdin = stdin
	var out, stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, gitError(args, err, stderr.Bytes())
	}
	return out.Bytes(), nil
}

// gitError builds the error of a failed git command from its stderr.
func gitError(args []string, err error, stderr []byte) error {
	msg := strings.TrimSpace(string(stderr))
	if msg == "" {
		msg = err.Error()
	}
	name := ""
	for i := 0; i < len(args); i++ {
		if args[i] == "-c" {
			i++
			continue
		}
		name = args[i]
		break
	}
	return &gitErr{cmd: name, msg: msg, stderr: strings.TrimSpace(string(stderr))}
}

// gitErr is a failed git command: its name and git's message.
type gitErr struct {
	cmd, msg, stderr string
}

func (e *gitErr) Error() string { return "git " + e.cmd + ": " + e.msg }

// Unwrap makes every git failure match ErrGit.
func (e *gitErr) Unwrap() error { return ErrGit }

// proc is a started git process whose stderr is kept for its error.
type proc struct {
	cmd    *exec.Cmd
	args   []string
	stderr bytes.Buffer
}

// start starts git args with the given pipes set up by the caller.
func (g Git) start(ctx context.Context, args []string, setup func(*exec.Cmd) error) (*proc, error) {
	p := &proc{cmd: g.command(ctx, args...), args: args}
	p.cmd.Stderr = &limitedBuffer{buf: &p.stderr, max: 64 << 10}
	if err := setup(p.cmd); err != nil {
		return nil, gitError(args, err, nil)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, gitError(args, err, nil)
	}
	return p, nil
}

// wait waits for the process and returns an ErrGit error on failure.
func (p *proc) wait() error {
	if err := p.cmd.Wait(); err != nil {
		return gitError(p.args, err, p.stderr.Bytes())
	}
	return nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
