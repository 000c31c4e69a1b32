package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/internal/dirlock"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/rs/zerolog"
)

// ghEnv runs leakguard commands against a fake GitHub with a fake sleeper.
type ghEnv struct {
	t     *testing.T
	srv   *githubtest.Server
	env   map[string]string
	mu    sync.Mutex
	waits []time.Duration
}

const ghTestToken = "ghp_fakeGitHubTokenForTests000000000"

func newGHEnv(t *testing.T) *ghEnv {
	t.Helper()
	srv := githubtest.New()
	t.Cleanup(srv.Close)
	srv.Token = ghTestToken
	return &ghEnv{t: t, srv: srv, env: map[string]string{"GITHUB_TOKEN": ghTestToken}}
}

func (e *ghEnv) sleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	e.waits = append(e.waits, d)
	e.mu.Unlock()
	return ctx.Err()
}

func (e *ghEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args, "--api-url", e.srv.URL())
	code := runInjected(context.Background(), gitHub{sleep: e.sleep}, args, IO{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return e.env[k] }, Now: time.Now,
	})
	for _, out := range []string{stdout.String(), stderr.String()} {
		if strings.Contains(out, ghTestToken) {
			e.t.Errorf("the GitHub token appears in the output of %v", args)
		}
	}
	return code, stdout.String(), stderr.String()
}

// runInjected runs args as Run does — the command's error on stderr,
// redacted and escaped, and its exit code — with the github commands and
// the worker built from g (a fake rate-limit sleeper); other commands go
// through Run.
func runInjected(ctx context.Context, g gitHub, args []string, sio IO) int {
	cmds := map[string]func(context.Context, []string, IO) error{"github": g.run, "worker": g.worker}
	run, ok := cmds[args[0]]
	if !ok {
		return Run(ctx, args, sio)
	}
	err := run(ctx, args[1:], sio)
	var ee *exitError
	if err != nil && !errors.Is(err, errSilent) && (!errors.As(err, &ee) || ee.err != nil) {
		fmt.Fprintf(sio.Stderr, "leakguard %s: %s\n", args[0], report.Escape(patterns.Default().RedactTokens(err.Error())))
	}
	return exitCode(err)
}

// jsonLines decodes JSON Lines output.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// issueToken issues one of our tokens into the SQLite store at path.
func issueToken(t *testing.T, path string) lifecycle.Issued {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := lifecycle.New(st, patterns.Default(), lifecycle.Options{Logger: zerolog.Nop()})
	defer m.Close()
	iss, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "team", Name: "ci", ExpiresIn: "30d"})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// tokenState reads a token's state and reason from the store.
func tokenState(t *testing.T, path, id string) (leakguard.State, string) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := st.TokenByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tok.State(time.Now()), tok.InvalidReason
}

func ghpToken(t *testing.T, seed string) string { return ghpTokenB(t, seed) }

func ghpTokenB(t testing.TB, seed string) string {
	t.Helper()
	f, _ := patterns.Default().ByID("github-pat")
	return f.WithChecksum("ghp_", (seed + strings.Repeat("Q", 30))[:30])
}

func TestGitHubScanOrgIncrementalWithRevoke(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	dbPath := filepath.Join(t.TempDir(), "lg.db")
	ours := issueToken(t, dbPath)
	repos := t.TempDir()
	githubtest.NewGitRepo(t, repos, "api", map[string]string{"deploy/env": "LG=" + ours.Secret.Reveal() + "\n"})
	web := githubtest.NewGitRepo(t, repos, "web", map[string]string{"src/a.js": "x\n"})
	githubtest.NewGitRepo(t, repos, "empty", nil)
	for _, name := range []string{"api", "web", "empty"} {
		e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: name, CloneURL: "file://" + filepath.Join(repos, name+".git")})
	}
	e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "old", Archived: true, CloneURL: "file:///nonexistent"})
	e.srv.SecondaryLimit("/orgs/acme/repos", 1)
	cache := t.TempDir()
	args := []string{"github", "scan", "--org", "acme", "--cache-dir", cache, "--format", "json", "--revoke", "--db", "sqlite:" + dbPath}

	code, stdout, stderr := e.run(args...)
	if code != exitFindings {
		t.Fatalf("first run exit %d, want 1; stderr:\n%s", code, stderr)
	}
	lines := jsonLines(t, stdout)
	if len(lines) != 1 {
		t.Fatalf("findings = %v, want 1", lines)
	}
	f := lines[0]
	if f["source"] != "github-org" || f["repository"] != "acme/api" || f["path"] != "deploy/env" ||
		f["action"] != "revoked" || f["status"] != "revoked" ||
		f["url"] != fmt.Sprintf("https://github.com/acme/api/blob/%s/deploy/env#L1", f["commit"]) {
		t.Errorf("finding = %v", f)
	}
	if st, reason := tokenState(t, dbPath, ours.Token.ID); st != leakguard.StateRevoked || !strings.Contains(reason, "github-org https://github.com/acme/api/blob/") {
		t.Errorf("token %s %q, want revoked with the blob link", st, reason)
	}
	for _, want := range []string{"3 repositories (3 scanned, 1 empty)", "1 finding, 1 revoked", "skipped 1: archived"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	e.mu.Lock()
	if len(e.waits) != 1 || e.waits[0] != 7*time.Second {
		t.Errorf("rate-limit waits = %v, want [7s]", e.waits)
	}
	e.mu.Unlock()

	// second run: only the new commit of web is scanned
	leak := ghpToken(t, "second")
	web.Commit(map[string]string{"src/b.js": "const t = '" + leak + "'\n"})
	code, stdout, stderr = e.run(args...)
	if code != exitFindings {
		t.Fatalf("second run exit %d; stderr:\n%s", code, stderr)
	}
	lines = jsonLines(t, stdout)
	if len(lines) != 1 || lines[0]["path"] != "src/b.js" || lines[0]["token_hash"] != patterns.HashToken(leak) {
		t.Errorf("second run findings = %v, want only src/b.js", lines)
	}
	if !strings.Contains(stderr, "2 unchanged since the last scan") {
		t.Errorf("summary lacks the unchanged count:\n%s", stderr)
	}
	// third run: nothing new
	code, stdout, _ = e.run(args...)
	if code != exitOK || stdout != "" {
		t.Errorf("third run exit %d stdout %q, want 0 and nothing", code, stdout)
	}
}

func TestGitHubScanTextShowsRepository(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	repos := t.TempDir()
	githubtest.NewGitRepo(t, repos, "api", map[string]string{"a.txt": ghpToken(t, "txt") + "\n"})
	e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "api", CloneURL: "file://" + filepath.Join(repos, "api.git")})
	code, stdout, stderr := e.run("github", "scan", "--repo", "acme/api", "--cache-dir", t.TempDir())
	if code != exitFindings || !strings.HasPrefix(stdout, "acme/api/a.txt:1:1") {
		t.Errorf("exit %d stdout %q stderr %s", code, stdout, stderr)
	}
}

func TestGitHubScanFailedRepositoryExits2(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "gone", CloneURL: "file:///nonexistent/gone.git"})
	code, _, stderr := e.run("github", "scan", "--org", "acme", "--cache-dir", t.TempDir(), "--format", "json")
	if code != exitFail || !strings.Contains(stderr, "failed acme/gone") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestGitHubScanOpensArchives: as `scan --git`, `github scan` opens the
// archives in history blobs (the token in a jar is found at its "!"
// path); a corrupt archive is left unread, told in the summary with any
// token in its name redacted, and makes the run exit 2; --no-archives
// scans the jar's bytes (deflated: nothing found) and exits 0.
func TestGitHubScanOpensArchives(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	repos := t.TempDir()
	inName := ghpToken(t, "name")
	jar := jarWith(t, "conf/app.env", "TOKEN="+ghpToken(t, "jar")+"\n")
	githubtest.NewGitRepo(t, repos, "api", map[string]string{
		"dist/app.jar":              string(jar),
		"broken-" + inName + ".zip": string(jar[:40]),
	})
	e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "api", CloneURL: "file://" + filepath.Join(repos, "api.git")})
	code, stdout, stderr := e.run("github", "scan", "--repo", "acme/api", "--cache-dir", t.TempDir(), "--format", "json")
	fs := jsonFindings(t, stdout)
	if code != exitFail || len(fs) != 1 || fs[0].Path != "dist/app.jar!conf/app.env" || fs[0].Repository != "acme/api" {
		t.Fatalf("exit %d, findings %+v, stderr:\n%s", code, fs, stderr)
	}
	if !strings.Contains(stderr, "unread in acme/api: broken-") || strings.Contains(stderr, inName) {
		t.Errorf("the corrupt archive is not told (or its name's token is not redacted):\n%s", stderr)
	}
	code, stdout, stderr = e.run("github", "scan", "--repo", "acme/api", "--cache-dir", t.TempDir(), "--format", "json", "--no-archives")
	if code != exitOK || strings.TrimSpace(stdout) != "" {
		t.Errorf("--no-archives: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}

// TestGitHubScanRevokeNeedsNamedStore: as `scan --revoke`, `github scan
// --revoke` refuses the embedded default store: without --db it is a usage
// error (exit 2) that names the flag, and no store is created.
func TestGitHubScanRevokeNeedsNamedStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"org", []string{"github", "scan", "--org", "acme", "--revoke"}},
		{"repo with queue", []string{"github", "scan", "--repo", "acme/api", "--revoke", "--queue", "redis://127.0.0.1:1/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newGHEnv(t)
			data := t.TempDir()
			e.env["XDG_DATA_HOME"] = data
			code, stdout, stderr := e.run(append(tt.args, "--cache-dir", t.TempDir())...)
			if code != exitFail || stdout != "" || !strings.Contains(stderr, "--revoke needs the token store named: --db") {
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			if entries, _ := os.ReadDir(data); len(entries) != 0 {
				t.Errorf("the data directory holds %d entries, want no store created", len(entries))
			}
		})
	}
}

func TestGitHubAlertsResolve(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	dbPath := filepath.Join(t.TempDir(), "lg.db")
	ours := issueToken(t, dbPath)
	foreign := ghpToken(t, "foreign")
	e.srv.AddAlert(
		githubtest.Alert{Number: 7, Repo: "acme/api", SecretType: "leakguard", Secret: ours.Secret.Reveal()},
		githubtest.Alert{Number: 8, Repo: "acme/web", SecretType: "github_personal_access_token", Secret: foreign},
	)
	code, stdout, stderr := e.run("github", "alerts", "--org", "acme", "--resolve", "--format", "json", "--db", "sqlite:"+dbPath)
	if code != exitOK {
		t.Fatalf("exit %d stderr:\n%s", code, stderr)
	}
	for _, secret := range []string{ours.Secret.Reveal(), foreign} {
		if strings.Contains(stdout+stderr, secret) {
			t.Error("a plaintext alert secret reached the output")
		}
	}
	lines := jsonLines(t, stdout)
	if len(lines) != 2 || lines[0]["action"] != "revoked" || lines[0]["source"] != "github-alert" ||
		lines[0]["token_hash"] != ours.Token.Hash || lines[1]["status"] != "unknown" {
		t.Errorf("findings = %v", lines)
	}
	if st, reason := tokenState(t, dbPath, ours.Token.ID); st != leakguard.StateRevoked || reason != "leaked: github-alert https://github.com/acme/api/security/secret-scanning/7" {
		t.Errorf("token %s %q", st, reason)
	}
	if a := e.srv.AlertByNumber(7); a.State != "resolved" || a.Resolution != "revoked" || !strings.Contains(a.ResolutionComment, "github-alert") {
		t.Errorf("alert 7 = %+v", a)
	}
	if a := e.srv.AlertByNumber(8); a.State != "open" {
		t.Errorf("foreign alert = %+v, want open", a)
	}
	if !strings.Contains(stderr, "2 alerts, 1 of our tokens, 1 revoked now, 1 resolved, 0 failed") {
		t.Errorf("summary:\n%s", stderr)
	}
}

// TestGitHubScanCacheDirLocked: a second process pointed at a --cache-dir
// that another one holds fails at once with a message saying so (exit 2),
// instead of updating the same mirrors and checkpoints; once released, the
// directory can be used again.
func TestGitHubScanCacheDirLocked(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	repos := t.TempDir()
	githubtest.NewGitRepo(t, repos, "api", map[string]string{"a.txt": "nothing here\n"})
	e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "api", CloneURL: "file://" + filepath.Join(repos, "api.git")})
	cache := t.TempDir()
	release, err := dirlock.Lock(cache) // "another process" (flock locks are per open file)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := e.run("github", "scan", "--repo", "acme/api", "--cache-dir", cache)
	if code != exitFail || !strings.Contains(stderr, "is in use by leakguard process") || !strings.Contains(stderr, "--cache-dir") {
		t.Errorf("locked: exit %d, stderr:\n%s", code, stderr)
	}
	release()
	if code, _, stderr := e.run("github", "scan", "--repo", "acme/api", "--cache-dir", cache); code != exitOK {
		t.Errorf("released: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestGitHubRevokeOthers: github scan and github alerts report other
// issuers' tokens to their issuers with --revoke-others, once.
func TestGitHubRevokeOthers(t *testing.T) {
	t.Parallel()
	e := newGHEnv(t)
	creds := githubtest.NewCredentialsServer()
	t.Cleanup(creds.Close)
	dbPath := filepath.Join(t.TempDir(), "lg.db")
	issueToken(t, dbPath)
	inRepo, inAlert := ghpToken(t, "inrepo"), ghpToken(t, "inalert")
	repos := t.TempDir()
	githubtest.NewGitRepo(t, repos, "api", map[string]string{"ci.yml": "GH=" + inRepo + "\n"})
	e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "api", CloneURL: "file://" + filepath.Join(repos, "api.git")})
	e.srv.AddAlert(githubtest.Alert{Number: 3, Repo: "acme/api", SecretType: "github_personal_access_token", Secret: inAlert})
	others := []string{"--revoke-others", "--github-api-url", creds.URL(), "--db", "sqlite:" + dbPath, "--format", "json"}

	scan := append([]string{"github", "scan", "--org", "acme", "--cache-dir", t.TempDir()}, others...)
	code, stdout, stderr := e.run(scan...)
	if code != exitFindings {
		t.Fatalf("github scan exit %d; stderr:\n%s", code, stderr)
	}
	if f := jsonLines(t, stdout); len(f) != 1 || f[0]["action"] != "reported" || f[0]["issuer"] != "github" || f[0]["issuer_state"] != "accepted" {
		t.Fatalf("github scan findings %v", f)
	}
	if !strings.Contains(stderr, "1 reported to their issuers") {
		t.Errorf("github scan summary:\n%s", stderr)
	}
	code, stdout, stderr = e.run(append([]string{"github", "alerts", "--org", "acme"}, others...)...)
	if code != exitOK {
		t.Fatalf("github alerts exit %d; stderr:\n%s", code, stderr)
	}
	if f := jsonLines(t, stdout); len(f) != 1 || f[0]["action"] != "reported" || f[0]["issuer_state"] != "accepted" {
		t.Fatalf("github alerts findings %v", f)
	}
	if !strings.Contains(stderr, "1 reported to their issuers") {
		t.Errorf("github alerts summary:\n%s", stderr)
	}
	got := creds.Received()
	if len(got) != 2 || got[0] != patterns.HashToken(inRepo) || got[1] != patterns.HashToken(inAlert) {
		t.Fatalf("GitHub received %v, want the repository's token, then the alert's", got)
	}
	if code, _, stderr := e.run(append([]string{"github", "scan", "--org", "acme", "--queue", "redis://127.0.0.1:1/0"}, others...)...); code != exitFail ||
		!strings.Contains(stderr, "--revoke-others does not work with --queue") {
		t.Errorf("--queue with --revoke-others: exit %d, %s", code, stderr)
	}
}
