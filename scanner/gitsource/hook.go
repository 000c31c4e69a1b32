package gitsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Hook kinds that InstallHook writes.
const (
	HookPreCommit  = "pre-commit"
	HookPrePush    = "pre-push"
	HookPreReceive = "pre-receive" // server side: a bare repository's push protection
)

// hookMarker identifies a hook file leakguard wrote.
const hookMarker = "# leakguard-managed-hook"

// HookResult says what InstallHook did.
type HookResult struct {
	Path    string // the hook file written
	Chained string // where a previous hook was moved to ("" = none)
	Updated bool   // an earlier leakguard hook was rewritten
}

// InstallHook writes a git hook of kind (HookPreCommit, HookPrePush or
// HookPreReceive) in the repository containing dir, honouring
// core.hooksPath. An existing hook that leakguard did not write is moved
// to "<kind>.local" and run first by the new one; re-installing rewrites
// leakguard's hook in place. bin is the leakguard executable the hook runs
// (LEAKGUARD_BIN overrides it at run time; "leakguard" on PATH when bin is
// missing). args are added to a pre-receive hook's command line (scan
// flags: --db, --server, --revoke ...); the other kinds take none. A
// pre-receive hook also sets receive.advertisePushOptions in the
// repository, so that pushers can bypass it with a reason (BypassOption).
// It is Git{Dir: dir}.InstallHook.
func InstallHook(ctx context.Context, dir, kind, bin string, args ...string) (HookResult, error) {
	return Git{Dir: dir}.InstallHook(ctx, kind, bin, args...)
}

// InstallHook is InstallHook for the repository containing g.Dir, with
// g's git executable and base environment (g.Env is not used: the hook's
// git runs under the configuration git reads when the hook fires).
func (g Git) InstallHook(ctx context.Context, kind, bin string, args ...string) (HookResult, error) {
	switch {
	case kind != HookPreCommit && kind != HookPrePush && kind != HookPreReceive:
		return HookResult{}, fmt.Errorf("hook: unknown kind %q", kind)
	case len(args) > 0 && kind != HookPreReceive:
		return HookResult{}, fmt.Errorf("hook: the %s hook takes no arguments", kind)
	}
	hooks, err := g.hooksDir(ctx)
	if err != nil {
		return HookResult{}, err
	}
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		return HookResult{}, fmt.Errorf("hook: %w", err)
	}
	res := HookResult{Path: filepath.Join(hooks, kind)}
	old, err := os.ReadFile(res.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return res, fmt.Errorf("hook: %w", err)
	case bytes.Contains(old, []byte(hookMarker)):
		res.Updated = true
	default:
		if res.Chained, err = chainHook(res.Path, old); err != nil {
			return res, err
		}
	}
	if err := writeExecutable(res.Path, []byte(hookScript(kind, bin, args))); err != nil {
		return res, err
	}
	if kind == HookPreReceive {
		if _, err := g.Output(ctx, nil, "config", "--local", "receive.advertisePushOptions", "true"); err != nil {
			return res, fmt.Errorf("hook: %w", err)
		}
	}
	return res, nil
}

// Describe is the confirmation of an installation of the kind of hook.
func (r HookResult) Describe(kind string) string {
	switch {
	case r.Updated:
		return fmt.Sprintf("updated the leakguard %s hook at %s", kind, r.Path)
	case r.Chained != "":
		return fmt.Sprintf("installed the leakguard %s hook at %s; the existing hook moved to %s and runs first", kind, r.Path, r.Chained)
	}
	return fmt.Sprintf("installed the leakguard %s hook at %s", kind, r.Path)
}

// hooksDir is where git looks for hooks: core.hooksPath or $GIT_DIR/hooks.
// Unlike a scan's git (Git would report /dev/null), it reads the
// configuration git reads when a hook fires, the repository's and the
// operator's; `git rev-parse --git-path` runs no program whatever that
// configuration says (no pager, no index refreshed through fsmonitor). Of
// the GIT_* variables, its environment keeps only those that locate the
// repository and the operator's configuration files.
func (g Git) hooksDir(ctx context.Context) (string, error) {
	dir := g.Dir
	cmd := exec.CommandContext(ctx, g.exe(), "--no-pager", "-c", "core.fsmonitor=", "rev-parse", "--git-path", "hooks")
	cmd.Dir = dir
	cmd.Env = append(StripGitEnv(g.parentEnv(), append(slices.Clone(repoLocators), operatorConfigVars...)...), QuietEnv()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", gitError([]string{"rev-parse"}, err, stderr.Bytes())
	}
	p := strings.TrimRight(string(out), "\n")
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p, nil
}

// chainHook moves an existing foreign hook to "<path>.local" (keeping its
// mode) so the leakguard hook can run it first.
func chainHook(path string, content []byte) (string, error) {
	local := path + ".local"
	if prev, err := os.ReadFile(local); err == nil && !bytes.Equal(prev, content) {
		return "", fmt.Errorf("hook: %s exists and %s differs from it; move one of them away first", path, local)
	}
	if err := os.Rename(path, local); err != nil {
		return "", fmt.Errorf("hook: chain existing hook: %w", err)
	}
	return local, nil
}

func writeExecutable(path string, data []byte) error {
	tmp := path + ".leakguard-tmp"
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		return fmt.Errorf("hook: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("hook: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("hook: %w", err)
	}
	return nil
}

// hookScript is the POSIX shell hook of kind running bin (with args, for
// a pre-receive hook). The push hooks read their standard input once and
// give it to the chained hook and to leakguard.
func hookScript(kind, bin string, args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n%s\n", hookMarker)
	fmt.Fprintf(&b, "# Written by `leakguard hook install`; re-running it rewrites this file.\n")
	fmt.Fprintf(&b, "# A hook that was here before was moved to %s.local and runs first.\n", kind)
	fmt.Fprintf(&b, "hookdir=$(dirname -- \"$0\")\n")
	fmt.Fprintf(&b, "LEAKGUARD=${LEAKGUARD_BIN:-%s}\n", shellQuote(bin))
	fmt.Fprintf(&b, "command -v \"$LEAKGUARD\" >/dev/null 2>&1 || LEAKGUARD=leakguard\n")
	if kind == HookPrePush || kind == HookPreReceive {
		b.WriteString("input=$(cat)\n")
		fmt.Fprintf(&b, "if [ -x \"$hookdir/%s.local\" ]; then\n", kind)
		fmt.Fprintf(&b, "\tprintf '%%s\\n' \"$input\" | \"$hookdir/%s.local\" \"$@\" || exit $?\n", kind)
		b.WriteString("fi\n")
		extra := "\"$@\"" // pre-push: the remote's name and URL
		if kind == HookPreReceive {
			quoted := make([]string, len(args))
			for i, a := range args {
				quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
			}
			extra = strings.Join(quoted, " ")
		}
		fmt.Fprintf(&b, "printf '%%s\\n' \"$input\" | \"$LEAKGUARD\" hook %s %s\n", kind, extra)
		return b.String()
	}
	fmt.Fprintf(&b, "if [ -x \"$hookdir/%s.local\" ]; then\n", kind)
	fmt.Fprintf(&b, "\t\"$hookdir/%s.local\" \"$@\" || exit $?\n", kind)
	b.WriteString("fi\n")
	b.WriteString("exec \"$LEAKGUARD\" scan --staged\n")
	return b.String()
}

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	if s == "" {
		return "leakguard"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
