package gitsource

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// historyBenchRepo builds, with `git fast-import`, a history of commits
// commits each rewriting perCommit of 1,000 files; every tenth commit adds
// a token, so the scan also runs its attribution pass. It returns the
// repository and the bytes of blob content its history holds.
func historyBenchRepo(b *testing.B, commits, perCommit int) (string, int64) {
	b.Helper()
	f, ok := patterns.Default().ByID("github-pat")
	if !ok {
		b.Fatal("no github-pat format")
	}
	dir := b.TempDir()
	var stream bytes.Buffer
	var size int64
	for c := 1; c <= commits; c++ {
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter Bench <bench@example.org> %d +0000\ndata 6\nstep%d\n", 1700000000+c, c%10)
		for i := 0; i < perCommit; i++ {
			n := (c*perCommit + i) % 1000
			content := fmt.Sprintf("package p%d // version %d of file %d\n%s", n, c, n, bytes.Repeat([]byte("filler line\n"), 40))
			if i == 0 && c%10 == 0 {
				content += f.WithChecksum("ghp_", fmt.Sprintf("%030d", c)) + "\n"
			}
			size += int64(len(content))
			fmt.Fprintf(&stream, "M 100644 inline src/d%d/f%d.go\ndata %d\n%s\n", n%50, n, len(content), content)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"fast-import", "--quiet"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if args[0] == "fast-import" {
			cmd.Stdin = &stream
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	return dir, size
}

// BenchmarkScanHistory: a whole-history scan of 200 commits (4,000 blob
// versions, 20 tokens to attribute), with one cat-file process and with
// two reading by path (HistoryOptions.CatFiles).
func BenchmarkScanHistory(b *testing.B) {
	dir, size := historyBenchRepo(b, 200, 20)
	sc := newScanner()
	for _, catFiles := range []int{1, 2} {
		b.Run(fmt.Sprintf("cat-files=%d", catFiles), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				n := 0
				err := ScanHistory(b.Context(), HistoryOptions{Repo: dir, CatFiles: catFiles}, sc, func(scanner.Finding) error { n++; return nil })
				if err != nil {
					b.Fatal(err)
				}
				if n != 20 {
					b.Fatalf("%d findings, want 20", n)
				}
			}
		})
	}
}

// BenchmarkScanHistoryRepo scans a repository of the caller's choice
// (LEAKGUARD_BENCH_REPO, revisions LEAKGUARD_BENCH_RANGE) by walking its
// packs and through cat-file only, for profiles of a real history
// (benchmarks/README.md); skipped without it.
func BenchmarkScanHistoryRepo(b *testing.B) {
	repo := os.Getenv("LEAKGUARD_BENCH_REPO")
	if repo == "" {
		b.Skip("LEAKGUARD_BENCH_REPO not set")
	}
	sc := newScanner()
	for _, catFileOnly := range []bool{false, true} {
		b.Run(fmt.Sprintf("cat-file-only=%v", catFileOnly), func(b *testing.B) {
			for b.Loop() {
				o := HistoryOptions{Repo: repo, Range: os.Getenv("LEAKGUARD_BENCH_RANGE"), CatFileOnly: catFileOnly}
				if err := ScanHistory(b.Context(), o, sc, func(scanner.Finding) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
