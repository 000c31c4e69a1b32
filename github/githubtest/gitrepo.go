package githubtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GitRepo is a test repository: a working clone that commits and pushes
// into a bare repository, whose file:// URL is the clone URL to serve.
type GitRepo struct {
	t    testing.TB
	Work string
	Bare string
}

// NewGitRepo creates a bare repository under dir (named name.git) with a
// working clone beside it, and commits files when any are given.
func NewGitRepo(t testing.TB, dir, name string, files map[string]string) *GitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &GitRepo{t: t, Work: filepath.Join(dir, name+"-work"), Bare: filepath.Join(dir, name+".git")}
	r.git("", "init", "-q", "--bare", "-b", "main", r.Bare)
	r.git("", "init", "-q", "-b", "main", r.Work)
	r.git(r.Work, "remote", "add", "origin", r.Bare)
	if len(files) > 0 {
		r.Commit(files)
	}
	return r
}

// CloneURL is the bare repository's file:// URL.
func (r *GitRepo) CloneURL() string { return "file://" + filepath.ToSlash(r.Bare) }

// Commit writes files (path → content), commits them and pushes main.
func (r *GitRepo) Commit(files map[string]string) string {
	r.t.Helper()
	for p, c := range files {
		full := filepath.Join(r.Work, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git(r.Work, "add", "-A")
	r.git(r.Work, "commit", "-q", "-m", "change")
	r.git(r.Work, "push", "-q", "origin", "main")
	return r.git(r.Work, "rev-parse", "HEAD")
}

func (r *GitRepo) git(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=dev@example.org",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=dev@example.org")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(out.String())
}
