package orgscan_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
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

// TestMirrorBaseEnvironment: the mirror's base environment stands in for
// the process's (a variable of it reaches git) and loses its git
// variables like the process's would.
func TestMirrorBaseEnvironment(t *testing.T) {
	t.Parallel()
	url := sourceRepo(t)
	envLog := filepath.Join(t.TempDir(), "env")
	wrapper := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\nenv >> '" + envLog + "'\nexec git \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &orgscan.Mirrors{Dir: t.TempDir(), Git: wrapper, BaseEnv: append(os.Environ(),
		"LEAKGUARD_BASE_ENV_MARK=1", "GIT_DIR=/nonexistent",
		"GIT_CONFIG_PARAMETERS='url.file:///nonexistent/.insteadof'='file://'")}
	for range 2 { // clone, then fetch
		if _, err := m.Sync(context.Background(), "acme/api", url); err != nil {
			t.Fatal(err)
		}
	}
	env, err := os.ReadFile(envLog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "LEAKGUARD_BASE_ENV_MARK=1") {
		t.Error("the base environment did not reach git")
	}
	for _, bad := range []string{"GIT_DIR=/nonexistent", "GIT_CONFIG_PARAMETERS="} {
		if strings.Contains(string(env), bad) {
			t.Errorf("git got %s from the base environment", bad)
		}
	}
}

// echoAuth gives every http(s) remote one credential, and redacts it and
// the secret it is made from.
type echoAuth struct{ secret string }

func (a echoAuth) GitCredential(string) (string, patterns.Secret) {
	return "http.extraHeader", patterns.NewSecret("Authorization: Bearer " + a.secret)
}

func (a echoAuth) Redact(s string) string {
	return strings.ReplaceAll(s, a.secret, patterns.Redacted)
}

// TestMirrorErrorRedactsCredentials: a git that prints its credential
// (and the secret behind it) fails with an error that shows neither.
func TestMirrorErrorRedactsCredentials(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-token-value"
	wrapper := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\necho \"fatal: $GIT_CONFIG_VALUE_0 / " + secret + "\" >&2\nexit 128\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &orgscan.Mirrors{Dir: t.TempDir(), Git: wrapper, Auth: echoAuth{secret: secret}}
	_, err := m.Sync(context.Background(), "acme/api", "https://git.example/acme/api.git")
	if err == nil {
		t.Fatal("Sync succeeded, want the wrapper's failure")
	}
	if msg := err.Error(); strings.Contains(msg, secret) || !strings.Contains(msg, "fatal:") {
		t.Errorf("error = %q, want git's message without the credential", msg)
	}
}
