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

// globalOptions precede every git command of a scan: no pager, literal
// pathspecs and no optional index locks. Diff-producing commands add
// --no-ext-diff --no-textconv themselves, `git log` also
// --no-show-signature --no-notes.
var globalOptions = []string{"--no-pager", "--literal-pathspecs", "--no-optional-locks"}

// Git runs git commands in one directory, safely for an untrusted
// repository: no git process it starts runs a program the repository or
// the environment names. Every process gets
//   - an environment without inherited GIT_* variables but those that
//     locate the repository, with no system or global configuration, no
//     network transport, no lazy fetch, no replace refs or grafts, no
//     prompts, pager or editor (scanEnv);
//   - the repository's own configuration neutralised: every key it sets
//     that is not known to be inert is overridden with a neutral value, and
//     the keys that name programs are pinned (neutralise.go). The keys are
//     listed by one `git config --list` per repository, kept for one scan
//     by a Cached value (overrides.go).
//
// The operator's safe.directory entries are carried over, so repositories
// the operator has marked safe stay readable.
//
// BaseEnv is the environment the hardening starts from, a value like the
// others: the caller's, or, when nil, the process's, read when a command
// starts. Either way it goes through scanEnv (or listEnv), so inherited
// GIT_* variables never reach git.
type Git struct {
	Dir     string   // working directory of every command ("" = current)
	Path    string   // git executable ("" = "git" on PATH)
	BaseEnv []string // environment before hardening (nil = the process's)
	Env     []string // extra environment, added last (trusted: it overrides the above)

	cache *overrideCache // see Cached; nil: list the configuration per command
}

func (g Git) exe() string {
	if g.Path == "" {
		return "git"
	}
	return g.Path
}

// parentEnv is the environment g's git processes start from, before
// hardening: BaseEnv, or the process's when it is nil.
func (g Git) parentEnv() []string {
	if g.BaseEnv != nil {
		return g.BaseEnv
	}
	return os.Environ()
}

// command prepares `git args` for a scan. It also returns the overrides
// it applies, which explain some failures.
func (g Git) command(ctx context.Context, args ...string) (*exec.Cmd, *overrides, error) {
	o, err := g.overrides(ctx)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, g.exe(), append(append([]string(nil), globalOptions...), args...)...)
	cmd.Dir = g.Dir
	cmd.Env = append(append(scanEnv(g.parentEnv()), o.env()...), g.Env...)
	return cmd, o, nil
}

// Output runs git args with stdin (may be nil) and returns its stdout. A
// non-zero exit is an ErrGit error with git's stderr.
func (g Git) Output(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd, o, err := g.command(ctx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Stdin = stdin
	var out, stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, o.explain(gitError(args, err, stderr.Bytes()))
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
	o      *overrides
	stderr bytes.Buffer
}

// start starts git args with the given pipes set up by the caller.
func (g Git) start(ctx context.Context, args []string, setup func(*exec.Cmd) error) (*proc, error) {
	cmd, o, err := g.command(ctx, args...)
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, args: args, o: o}
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
		return p.o.explain(gitError(p.args, err, p.stderr.Bytes()))
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
