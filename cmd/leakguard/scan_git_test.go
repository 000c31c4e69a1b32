package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
)

// gitDir is a repository in t.TempDir() driven by plain git commands.
type gitDir struct {
	t   *testing.T
	dir string
}

func newGitDir(t *testing.T) gitDir {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	g := gitDir{t: t, dir: t.TempDir()}
	g.run("init", "-q", "-b", "main")
	g.run("config", "user.name", "Test")
	g.run("config", "user.email", "dev@example.org")
	return g
}

func (g gitDir) run(args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		g.t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(out.String())
}

func (g gitDir) write(name, content string) {
	g.t.Helper()
	p := filepath.Join(g.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g gitDir) commitAll(msg string) string {
	g.t.Helper()
	g.run("add", "-A")
	g.run("commit", "-q", "-m", msg)
	return g.run("rev-parse", "HEAD")
}

// runCmd runs `leakguard args...` with stdin.
func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	sio := IO{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	code := Run(context.Background(), args, sio)
	return result{out.String(), errOut.String(), code}
}

func TestScanGitCommand(t *testing.T) {
	t.Parallel()
	g := newGitDir(t)
	tok := newToken(t, "github-pat")
	g.write("app/config.env", "A=1\nTOKEN="+tok+"\n")
	added := g.commitAll("leak")
	g.run("rm", "-q", "app/config.env")
	g.commitAll("remove")

	res := runCmd(t, "", "scan", "--git", "--format", "json", g.dir)
	fs := jsonFindings(t, res.stdout)
	if res.code != exitFindings || len(fs) != 1 {
		t.Fatalf("exit %d, %d findings; stderr %s", res.code, len(fs), res.stderr)
	}
	f := fs[0]
	if f.Source != "git" || f.Commit != added || f.Author != "dev@example.org" || f.Path != "app/config.env" || f.Line != 2 ||
		f.TokenHash != patterns.HashToken(tok) {
		t.Fatalf("finding %+v", f)
	}
	if strings.Contains(res.stdout+res.stderr, tok) {
		t.Fatal("plaintext token in output")
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"not a repository", []string{"scan", "--git", t.TempDir()}},
		{"bad range", []string{"scan", "--git", "--range", "nosuch..main", g.dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, "", tc.args...)
			if res.code != exitFail || !strings.Contains(res.stderr, "git") {
				t.Fatalf("exit %d, stderr %q; want 2 with git's message", res.code, res.stderr)
			}
		})
	}
}
