package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/internal/testenv"
)

// buildBinary builds leakguard into dir.
func buildBinary(t *testing.T, dir string) string { return buildBinaryB(t, dir) }

func buildBinaryB(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "leakguard")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// workerProc is a `leakguard worker` process logging to a file.
type workerProc struct {
	cmd *exec.Cmd
	log string
}

func startWorker(t *testing.T, bin string, env []string, args ...string) *workerProc {
	return startWorkerEnv(t, bin, env, args...)
}

// startWorkerB starts a worker with the test process's environment.
func startWorkerB(t testing.TB, bin string, args ...string) *workerProc {
	return startWorkerEnv(t, bin, nil, args...)
}

func startWorkerEnv(t testing.TB, bin string, env []string, args ...string) *workerProc {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "worker-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"worker"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	w := &workerProc{cmd: cmd, log: logf.Name()}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
	})
	return w
}

func (w *workerProc) output() string { b, _ := os.ReadFile(w.log); return string(b) }

func (w *workerProc) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(w.output(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("worker never logged %q:\n%s", s, w.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWorkersSurviveKill9: a coordinator enqueues 12 repositories; worker A
// takes one and hangs in `git clone` (a shim on its PATH) and is killed
// with SIGKILL; workers B and C reclaim its job after the idle timeout.
// Every repository is reported once, with its finding, and totals add up.
func TestWorkersSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs worker processes")
	}
	redisURL, rdb := testenv.RedisClient(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "lgtest:worker:" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), prefix+":*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	bin := buildBinary(t, t.TempDir())
	e := newGHEnv(t)
	repos := t.TempDir()
	const n = 12
	for i := range n {
		name := fmt.Sprintf("svc%02d", i)
		githubtest.NewGitRepo(t, repos, name, map[string]string{"conf/" + name + ".env": ghpToken(t, name) + "\n"})
		e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: name, CloneURL: "file://" + filepath.Join(repos, name+".git")})
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	shimDir := t.TempDir()
	shim := "#!/bin/sh\ncase \"$*\" in *clone*) sleep 20;; esac\nexec " + gitPath + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shimDir, "git"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	common := []string{"--redis", redisURL, "--queue-prefix", prefix, "--idle-timeout", "1s", "--api-url", e.srv.URL()}
	env := []string{"GITHUB_TOKEN=" + ghTestToken}

	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := e.run("github", "scan", "--org", "acme", "--queue", redisURL, "--queue-prefix", prefix, "--format", "json", "--wait", "60s")
		done <- result{code, stdout, stderr}
	}()

	a := startWorker(t, bin, append(env, "PATH="+shimDir+":"+os.Getenv("PATH")), append(common, "--cache-dir", t.TempDir(), "--name", "A")...)
	a.waitFor(t, "job started")
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	var others []*workerProc
	for _, name := range []string{"B", "C"} {
		others = append(others, startWorker(t, bin, env, append(common, "--cache-dir", t.TempDir(), "--name", name, "--exit-idle", "2s")...))
	}
	var res result
	select {
	case res = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("coordinator did not finish")
	}
	if res.code != exitFindings {
		t.Fatalf("coordinator exit %d:\n%s", res.code, res.stderr)
	}
	lines := jsonLines(t, res.stdout)
	seen := map[string]int{}
	for _, l := range lines {
		seen[l["repository"].(string)]++
	}
	if len(lines) != n || len(seen) != n {
		t.Errorf("findings %d over %d repositories, want %d each once: %v", len(lines), len(seen), n, seen)
	}
	if want := fmt.Sprintf("%d repositories (%d scanned), %d findings", n, n, n); !strings.Contains(res.stderr, want) {
		t.Errorf("summary lacks %q:\n%s", want, res.stderr)
	}
	reclaimed := false
	for _, w := range others {
		_ = w.cmd.Wait()
		reclaimed = reclaimed || strings.Contains(w.output(), "reclaimed an abandoned job")
	}
	if !reclaimed {
		t.Errorf("no worker reclaimed the killed worker's job:\n%s\n%s", others[0].output(), others[1].output())
	}
	if length, _ := rdb.XLen(context.Background(), prefix+":jobs").Result(); length != 0 {
		t.Errorf("jobs stream still holds %d entries", length)
	}
	var logs bytes.Buffer
	for _, w := range append(others, a) {
		logs.WriteString(w.output())
	}
	if strings.Contains(logs.String(), ghTestToken) {
		t.Error("the GitHub token reached a worker log")
	}
}
