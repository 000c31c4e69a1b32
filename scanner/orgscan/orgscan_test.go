package orgscan_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/orgscan"
)

func ghp(t *testing.T, body string) string {
	t.Helper()
	f, ok := patterns.Default().ByID("github-pat")
	if !ok {
		t.Fatal("no github-pat")
	}
	return f.WithChecksum("ghp_", (body + strings.Repeat("x", 30))[:30])
}

func newScanner(dir string) *orgscan.Scanner {
	return &orgscan.Scanner{
		Mirrors: &orgscan.Mirrors{Dir: dir},
		Scanner: scanner.New(patterns.Default()),
		BlobURL: github.BlobURL,
		Workers: 2,
	}
}

func TestScanRepoIncremental(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := githubtest.NewGitRepo(t, t.TempDir(), "api", map[string]string{
		"config/app.env": "TOKEN=" + ghp(t, "first") + "\n",
		"README.md":      "hello\n",
	})
	repo := orgscan.Repo{FullName: "acme/api", CloneURL: src.CloneURL(), HTMLURL: "https://github.com/acme/api"}
	s := newScanner(t.TempDir())

	res, err := s.ScanRepo(ctx, repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Unchanged || res.Empty {
		t.Fatalf("first scan: %d findings unchanged=%v empty=%v, want 1 false false", len(res.Findings), res.Unchanged, res.Empty)
	}
	f := res.Findings[0]
	wantURL := "https://github.com/acme/api/blob/" + f.Commit + "/config/app.env#L1"
	if f.Source != leakguard.SourceGitHubOrg || f.Repository != "acme/api" || f.URL != wantURL || f.Path != "config/app.env" {
		t.Errorf("finding = %+v, want github-org acme/api %s", f, wantURL)
	}

	res2, err := s.ScanRepo(ctx, repo, res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Findings) != 0 || !res2.Unchanged {
		t.Errorf("unchanged rescan: %d findings unchanged=%v, want 0 true", len(res2.Findings), res2.Unchanged)
	}

	commit := src.Commit(map[string]string{"new/leak.txt": "x " + ghp(t, "second") + "\n"})
	res3, err := s.ScanRepo(ctx, repo, res2.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(res3.Findings) != 1 || res3.Findings[0].Path != "new/leak.txt" || res3.Findings[0].Commit != commit {
		t.Errorf("after a new commit: %+v, want only new/leak.txt at %s", res3.Findings, commit)
	}
}

func TestScanEmptyRepo(t *testing.T) {
	t.Parallel()
	src := githubtest.NewGitRepo(t, t.TempDir(), "empty", nil)
	s := newScanner(t.TempDir())
	res, err := s.ScanRepo(context.Background(), orgscan.Repo{FullName: "acme/empty", CloneURL: src.CloneURL()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Empty || len(res.Findings) != 0 {
		t.Errorf("empty repo: %+v", res)
	}
}

func TestMirrorPath(t *testing.T) {
	t.Parallel()
	m := &orgscan.Mirrors{Dir: "/cache"}
	for _, bad := range []string{"acme", "../x", "acme/..", "a/b/c", "acme/na me", "/x"} {
		if _, err := m.Path(bad); err == nil {
			t.Errorf("Path(%q) accepted", bad)
		}
	}
	if p, err := m.Path("acme/api.js"); err != nil || p != "/cache/mirrors/acme/api.js.git" {
		t.Errorf("Path = %q, %v", p, err)
	}
}

// TestTokenTravelsOnlyInAHeader clones over smart HTTP (git http-backend
// behind net/http/cgi) and checks: the server sees the Authorization
// header, git's argv never holds the token, and no file of the mirror does.
func TestTokenTravelsOnlyInAHeader(t *testing.T) {
	t.Parallel()
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git http-backend not installed")
	}
	root := t.TempDir()
	githubtest.NewGitRepo(t, root, "api", map[string]string{"a.txt": "x " + ghp(t, "h") + "\n"})
	const token = "ghs_secretinstallationtoken000000000"
	var mu sync.Mutex
	var auths []string
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	cache := t.TempDir()
	argvLog := filepath.Join(t.TempDir(), "argv")
	wrapper := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\necho \"$@\" >> '" + argvLog + "'\nexec git \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newScanner(cache)
	s.Mirrors.Auth = github.GitAuth{Token: patterns.NewSecret(token), Hosts: []string{strings.TrimPrefix(srv.URL, "http://")}}
	s.Mirrors.Git = wrapper
	repo := orgscan.Repo{FullName: "acme/api", CloneURL: srv.URL + "/api.git"}
	for range 2 { // clone, then fetch
		res, err := s.ScanRepo(context.Background(), repo, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 {
			t.Fatalf("findings = %d, want 1", len(res.Findings))
		}
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	mu.Lock()
	if len(auths) == 0 || auths[0] != want {
		t.Errorf("Authorization headers = %q, want %q", auths, want)
	}
	mu.Unlock()
	argv, _ := os.ReadFile(argvLog)
	if len(argv) == 0 {
		t.Fatal("wrapper never ran")
	}
	b64 := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	checkAbsent(t, "git argv", string(argv), token, b64)
	filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			checkAbsent(t, p, string(data), token, b64)
		}
		return nil
	})
}

func checkAbsent(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s contains the token", where)
		}
	}
}
