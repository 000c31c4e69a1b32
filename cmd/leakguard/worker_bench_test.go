package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/internal/testenv"
)

// BenchmarkGitHubOrgWorkers scans an organisation of 200 generated
// repositories (20 files over 3 commits each, one token per repository)
// through the Redis Streams queue with 1 and 2 worker processes, each
// from cold mirrors and no checkpoints. Run with -benchtime=1x.
func BenchmarkGitHubOrgWorkers(b *testing.B) {
	redisURL, rdb := testenv.RedisClient(b)
	bin := buildBinaryB(b, b.TempDir())
	srv := githubtest.New()
	defer srv.Close()
	repos := b.TempDir()
	const n = 200
	for i := range n {
		name := fmt.Sprintf("repo%03d", i)
		r := githubtest.NewGitRepo(b, repos, name, nil)
		for c := range 3 {
			files := map[string]string{}
			for f := range 7 {
				files[fmt.Sprintf("src/m%d_%d.go", c, f)] = strings.Repeat(fmt.Sprintf("// line %d of %s\n", f, name), 200)
			}
			if c == 2 {
				files["deploy/.env"] = "GH=" + ghpTokenB(b, name) + "\n"
			}
			r.Commit(files)
		}
		srv.AddRepo(githubtest.Repo{Owner: "bench", Name: name, CloneURL: "file://" + filepath.Join(repos, name+".git")})
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for range b.N {
				var rb [6]byte
				_, _ = rand.Read(rb[:])
				prefix := "lgbench:" + hex.EncodeToString(rb[:])
				common := []string{"--redis", redisURL, "--queue-prefix", prefix, "--api-url", srv.URL(), "--exit-idle", "1s"}
				var procs []*workerProc
				for w := range workers {
					procs = append(procs, startWorkerB(b, bin, append(common, "--cache-dir", b.TempDir(), "--name", fmt.Sprint("w", w))...))
				}
				var stdout, stderr strings.Builder
				code := Run(context.Background(), []string{"github", "scan", "--org", "bench", "--queue", redisURL,
					"--queue-prefix", prefix, "--format", "json", "--api-url", srv.URL(), "--quiet"},
					IO{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
				if code != exitFindings || strings.Count(stdout.String(), "\n") != n {
					b.Fatalf("exit %d, %d findings:\n%s", code, strings.Count(stdout.String(), "\n"), stderr.String())
				}
				b.StopTimer()
				for _, p := range procs {
					_ = p.cmd.Wait()
				}
				keys, _ := rdb.Keys(context.Background(), prefix+":*").Result()
				if len(keys) > 0 {
					rdb.Del(context.Background(), keys...)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "repos/s")
		})
	}
}
