package gitsource

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/leakguard/leakguard/scanner"
)

// fastImportRepo builds a repository of n small files in one commit with
// `git fast-import` and checks it out.
func fastImportRepo(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	var stream bytes.Buffer
	for i := 1; i <= n; i++ {
		content := fmt.Sprintf("package p%d // file %d of the benchmark repository\n", i, i)
		fmt.Fprintf(&stream, "blob\nmark :%d\ndata %d\n%s\n", i, len(content), content)
	}
	stream.WriteString("commit refs/heads/main\ncommitter Bench <bench@example.org> 1700000000 +0000\ndata 5\ninit\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&stream, "M 100644 :%d src/d%d/f%d.go\n", i, i%100, i)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"fast-import", "--quiet"}, {"reset", "-q", "--hard", "main"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if args[0] == "fast-import" {
			cmd.Stdin = &stream
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	return dir
}

// BenchmarkScanStaged10k: a one-file commit in a 10,000-file repository
// (target: well under 100 ms per check, see benchmarks/README.md).
func BenchmarkScanStaged10k(b *testing.B) {
	dir := fastImportRepo(b, 10000)
	f := filepath.Join(dir, "src", "d7", "f7.go")
	if err := os.WriteFile(f, []byte("package p7\n// one more line\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", dir, "add", "src/d7/f7.go").CombinedOutput(); err != nil {
		b.Fatalf("git add: %v: %s", err, out)
	}
	sc := newScanner()
	b.ResetTimer()
	for b.Loop() {
		err := ScanStaged(b.Context(), StagedOptions{Repo: dir}, sc, func(scanner.Finding) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}
