package main

import (
	"strings"
	"testing"
)

// partialCloneDir makes a blobless clone (over file://, --no-local so the
// filter holds) of a repository with a token in kept.txt and one in
// gone.txt, checking out kept.txt only: gone.txt's blob is missing. The
// promisor remote then points nowhere reachable.
func partialCloneDir(t *testing.T) gitDir {
	t.Helper()
	src := newGitDir(t)
	src.write("kept.txt", newToken(t, "github-pat")+"\n")
	src.write("gone.txt", newToken(t, "github-pat")+"\n")
	src.commitAll("tokens")
	src.run("config", "uploadpack.allowFilter", "true")
	c := gitDir{t: t, dir: t.TempDir()}
	src.run("clone", "-q", "--no-local", "--no-checkout", "--filter=blob:none", "file://"+src.dir, c.dir)
	c.run("checkout", "-q", "HEAD", "--", "kept.txt")
	c.run("config", "remote.origin.url", "file:///nonexistent/leakguard-test")
	return c
}

func TestScanGitPartialClone(t *testing.T) {
	t.Parallel()
	c := partialCloneDir(t)
	const line = "1 object missing (partial clone): not scanned and not fetched; --allow-missing accepts an incomplete scan"
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"strict", nil, nil, exitFail},
		{"--allow-missing", nil, []string{"--allow-missing"}, exitFindings},
		{"LEAKGUARD_ALLOW_MISSING", map[string]string{"LEAKGUARD_ALLOW_MISSING": "true"}, nil, exitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runScanCmd(t, nil, tc.env, append([]string{"--git", "--format", "json", c.dir}, tc.args...)...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", res.code, tc.code, res.stderr)
			}
			fs := jsonFindings(t, res.stdout)
			if len(fs) != 1 || fs[0].Path != "kept.txt" || len(fs[0].Commit) != 40 {
				t.Fatalf("findings %+v, want kept.txt's with its commit", fs)
			}
			if !strings.Contains(res.stderr, "1 finding (1 rule), 1 object missing (partial clone): not scanned") {
				t.Errorf("summary missing the count: %s", res.stderr)
			}
			if got := strings.Contains(res.stderr, "leakguard: "+line+"\n"); got != (tc.code == exitFail) {
				t.Errorf("error line present %v, want %v: %s", got, tc.code == exitFail, res.stderr)
			}
		})
	}
}

// TestHookPrePushPartialClone: a pushed range whose objects a partial
// clone lacks blocks the push (exit 2) unless missing objects are allowed.
func TestHookPrePushPartialClone(t *testing.T) {
	c := partialCloneDir(t)
	c.run("update-ref", "-d", "refs/remotes/origin/main") // the whole history is new to every remote
	tip := c.run("rev-parse", "HEAD")
	stdin := "refs/heads/topic " + tip + " refs/heads/topic " + strings.Repeat("0", 40) + "\n"
	t.Chdir(c.dir)
	res := runCmd(t, stdin, "hook", "pre-push", "origin", "https://example.org/r.git")
	if res.code != exitFail || !strings.Contains(res.stderr, "1 object missing (partial clone)") {
		t.Fatalf("exit %d, want 2 with the missing line; stderr %s", res.code, res.stderr)
	}
}
