package orgscan

import (
	"strings"
	"testing"
	"time"
)

// TestProgressLine: the progress line counts repositories, objects,
// bytes and rate, findings and the ETA.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	s := Stats{Total: 4, Done: 1, Findings: 2, Objects: 1200, Bytes: 20 << 20}
	got := s.ProgressLine(10 * time.Second)
	want := "github scan: 1/4 repositories, 1200 objects, 20 MiB (2.0 MiB/s), 2 findings, 10s, ETA 30s"
	if got != want {
		t.Errorf("ProgressLine() = %q, want %q", got, want)
	}
}

// TestSummary: the totals, then skip reasons (counted, sorted) and
// failures, with remote text escaped.
func TestSummary(t *testing.T) {
	t.Parallel()
	s := Stats{Total: 3, Done: 1, Unchanged: 1, Failed: 1, Findings: 1, Revoked: 1,
		Failures: []Failure{{Repo: "acme/x", Reason: "boom\x1b[2J"}}}
	got := s.Summary(1500*time.Millisecond, []string{"fork", "archived", "fork"})
	want := []string{
		"github scan: 3 repositories (1 scanned, 1 unchanged since the last scan, 1 failed), 1 finding, 1 revoked, 3 skipped in 1.5s",
		"  skipped 1: archived",
		"  skipped 2: fork",
		"  failed acme/x: boom\\x1b[2J",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Summary() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
