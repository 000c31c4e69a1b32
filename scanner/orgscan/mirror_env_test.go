package orgscan_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/leakguard/leakguard/scanner/orgscan"
)

// sourceRepo makes a bare repository with one commit and returns its
// file:// URL (built with plain git, before any variable below is set).
func sourceRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	work, bare := filepath.Join(dir, "work"), filepath.Join(dir, "src.git")
	for _, args := range [][]string{
		{"init", "-q", "--bare", "-b", "main", bare},
		{"init", "-q", "-b", "main", work},
		{"-C", work, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m", "init"},
		{"-C", work, "push", "-q", bare, "main"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	return "file://" + filepath.ToSlash(bare)
}

// TestMirrorIgnoresInheritedGitEnvironment: git variables in leakguard's
// environment (a hook's, a CI job's) neither redirect nor reconfigure the
// mirror's git: each case makes the clone or the fetch fail if it reaches
// git. It sets the process environment, so it cannot run in parallel.
func TestMirrorIgnoresInheritedGitEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"GIT_CONFIG_PARAMETERS", map[string]string{"GIT_CONFIG_PARAMETERS": "'url.file:///nonexistent/.insteadof'='file://'"}},
		{"GIT_CONFIG_COUNT", map[string]string{"GIT_CONFIG_COUNT": "1",
			"GIT_CONFIG_KEY_0": "url.file:///nonexistent/.insteadOf", "GIT_CONFIG_VALUE_0": "file://"}},
		{"GIT_DIR", map[string]string{"GIT_DIR": "/nonexistent"}},
		{"GIT_ALLOW_PROTOCOL", map[string]string{"GIT_ALLOW_PROTOCOL": "https"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := sourceRepo(t)
			m := &orgscan.Mirrors{Dir: t.TempDir()}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			for range 2 { // clone, then fetch
				if _, err := m.Sync(context.Background(), "acme/api", url); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
