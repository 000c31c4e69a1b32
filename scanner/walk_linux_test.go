//go:build linux

package scanner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

// TestWalkClosesEveryFile checks that the streaming walk (one worker, whose
// file descriptors are closed in batches with close_range) leaves no
// descriptor open and closes none of anyone else's: a file opened before
// the scan is still readable after it.
func TestWalkClosesEveryFile(t *testing.T) {
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	for i := 0; i < 300; i++ {
		writeFile(t, filepath.Join(tmp, fmt.Sprintf("d%d", i%5), fmt.Sprintf("e%d", i%3), fmt.Sprintf("f%03d", i)), own)
	}
	keep, err := os.Open(filepath.Join(tmp, "d0", "e0", "f000"))
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	before := openFDs(t)
	n := 0
	err = New(patterns.Default()).ScanPaths(context.Background(), []string{tmp}, WalkOptions{Workers: 1},
		func(Finding) error { n++; return nil })
	if err != nil || n != 300 {
		t.Fatalf("err %v, %d findings, want 300", err, n)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after the scan, %d before", after, before)
	}
	if _, err := keep.Read(make([]byte, 1)); err != nil {
		t.Errorf("a descriptor opened before the scan: %v", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(es)
}
