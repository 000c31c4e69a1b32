package orgscan

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/leakguard/leakguard/scanner/report"
)

// ProgressLine is the one-line progress of a scan that has run for
// elapsed: "github scan: 12/200 repositories, 3400 objects, 52 MiB
// (0.8 MiB/s), 3 findings, 1m2s, ETA 3m". Failed repositories count as
// finished.
func (s Stats) ProgressLine(elapsed time.Duration) string {
	done, total := s.Done+s.Failed, s.Total
	mib := float64(s.Bytes) / (1 << 20)
	el := elapsed.Round(time.Second)
	line := fmt.Sprintf("github scan: %d/%d repositories, %d objects, %.0f MiB", done, total, s.Objects, mib)
	if secs := elapsed.Seconds(); secs >= 1 {
		line += fmt.Sprintf(" (%.1f MiB/s)", mib/secs)
	}
	line += fmt.Sprintf(", %d %s", s.Findings, plural(s.Findings, "finding", "findings"))
	if s.Failed > 0 {
		line += fmt.Sprintf(", %d failed", s.Failed)
	}
	line += ", " + el.String()
	if done > 0 && done < total {
		eta := time.Duration(float64(el) / float64(done) * float64(total-done)).Round(time.Second)
		line += ", ETA " + eta.String()
	}
	return line
}

// Summary is the end-of-run summary of a scan that took elapsed, one
// string per line: the totals (repositories, findings, revoked; skipped
// counts the reasons in skipped, one per repository left out before the
// scan), then the number of repositories skipped for each reason and each
// failed repository with its reason. Remote text (names, reasons) is
// escaped (report.Escape).
func (s Stats) Summary(elapsed time.Duration, skipped []string) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "github scan: %d %s (%d scanned", s.Total, plural(s.Total, "repository", "repositories"), s.Done)
	if s.Unchanged > 0 {
		fmt.Fprintf(&b, ", %d unchanged since the last scan", s.Unchanged)
	}
	if s.Empty > 0 {
		fmt.Fprintf(&b, ", %d empty", s.Empty)
	}
	if s.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", s.Failed)
	}
	if len(s.Unread) > 0 {
		repos := map[string]bool{}
		for _, u := range s.Unread {
			repos[u.Repo] = true
		}
		fmt.Fprintf(&b, ", %d with parts left unread", len(repos))
	}
	fmt.Fprintf(&b, "), %d %s, %d revoked", s.Findings, plural(s.Findings, "finding", "findings"), s.Revoked)
	if s.Reported > 0 {
		fmt.Fprintf(&b, ", %d reported to their issuers", s.Reported)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, ", %d skipped", len(skipped))
	}
	fmt.Fprintf(&b, " in %s", elapsed.Round(time.Millisecond))
	lines := []string{b.String()}
	reasons := map[string]int{}
	for _, r := range skipped {
		reasons[r]++
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("  skipped %d: %s", reasons[k], report.Escape(k)))
	}
	for _, f := range s.Failures {
		lines = append(lines, fmt.Sprintf("  failed %s: %s", report.Escape(f.Repo), report.Escape(f.Reason)))
	}
	for _, u := range s.Unread {
		lines = append(lines, fmt.Sprintf("  unread in %s: %s", report.Escape(u.Repo), report.Escape(u.Reason)))
	}
	return lines
}

// plural is one or many, by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
