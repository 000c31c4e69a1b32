package scanner

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

// TestBenchDriver is the stand-in for `leakguard scan --format json` that
// benchmarks/scan-corpus.sh uses when the CLI does not build: with
// LEAKGUARD_BENCH_SCAN=path[:path...] it scans those paths with the default
// catalog and writes the findings as JSON Lines to LEAKGUARD_BENCH_OUT
// (default stdout).
func TestBenchDriver(t *testing.T) {
	paths := os.Getenv("LEAKGUARD_BENCH_SCAN")
	if paths == "" {
		t.Skip("LEAKGUARD_BENCH_SCAN not set")
	}
	out := os.Stdout
	if p := os.Getenv("LEAKGUARD_BENCH_OUT"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out = f
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	err := New(patterns.Default()).ScanPaths(context.Background(), strings.Split(paths, ":"), WalkOptions{
		OnError: func(p string, err error) { t.Logf("%s: %v", p, err) },
	}, func(f Finding) error { return enc.Encode(f) })
	if err != nil {
		t.Fatal(err)
	}
}
