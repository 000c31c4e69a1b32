package gitsource

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// testRepo is a git repository built in t.TempDir() with plain git commands.
type testRepo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.git("config", "user.name", "Test")
	r.git("config", "user.email", "dev@example.org")
	r.git("config", "commit.gpgsign", "false")
	return r
}

// git runs a git command in the repository and returns its trimmed stdout.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	return r.gitEnv(nil, args...)
}

func (r *testRepo) gitEnv(env []string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"), env...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(out.String())
}

// write writes a working-tree file.
func (r *testRepo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits as author; it returns the commit id.
func (r *testRepo) commit(author, msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.gitEnv([]string{"GIT_AUTHOR_EMAIL=" + author}, "commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// token returns a valid GitHub-format token derived from seed.
func token(t *testing.T, seed string) string {
	t.Helper()
	f, ok := patterns.Default().ByID("github-pat")
	if !ok {
		t.Fatal("no github-pat format")
	}
	body := (seed + strings.Repeat("x", 30))[:30]
	tok := f.WithChecksum("ghp_", body)
	if !f.Valid(tok) {
		t.Fatalf("built token not valid")
	}
	return tok
}

// lookalike returns token with its last checksum character changed.
func lookalike(tok string) string {
	last := tok[len(tok)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return tok[:len(tok)-1] + string(repl)
}

func newScanner() *scanner.Scanner { return scanner.New(patterns.Default()) }

// collect runs a scan and returns its findings.
func collect(t *testing.T, run func(emit func(scanner.Finding) error) error) []scanner.Finding {
	t.Helper()
	var out []scanner.Finding
	if err := run(func(f scanner.Finding) error { out = append(out, f); return nil }); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return out
}

// key is the comparable part of a finding.
type key struct {
	Hash, Path     string
	Line           int
	Commit, Author string
	Source         string
}

func keys(fs []scanner.Finding) map[key]int {
	m := map[key]int{}
	for _, f := range fs {
		m[key{f.TokenHash, f.Path, f.Line, f.Commit, f.Author, string(f.Source)}]++
	}
	return m
}

func ctx(t *testing.T) context.Context { return t.Context() }
