package scanjob

import (
	"fmt"
	"strings"
	"time"
)

// Summary is the one-line summary of a run that took took: findings and
// the rules they match, what was suppressed or allowed inline, with
// revoked the tokens revoked, the objects missing from a partial clone,
// what was read. "3 findings (2 rules), 1
// suppressed, 1 token revoked; 12 inputs, 4.5 KiB scanned in 12ms".
func (r *Result) Summary(revoked bool, took time.Duration) string {
	rules := map[string]bool{}
	for _, f := range r.Findings {
		rules[f.Rule] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s (%d %s)", len(r.Findings), plural(len(r.Findings), "finding"), len(rules), plural(len(rules), "rule"))
	if n := r.Suppressed; n > 0 {
		fmt.Fprintf(&b, ", %d suppressed", n)
	}
	if n := r.Allowed; n > 0 {
		fmt.Fprintf(&b, ", %d allowed inline", n)
	}
	if revoked {
		fmt.Fprintf(&b, ", %d %s revoked", r.Revoked, plural(r.Revoked, "token"))
	}
	if r.Reported > 0 || r.ReportsPending > 0 {
		fmt.Fprintf(&b, ", %d %s reported to %s issuers", r.Reported, plural(r.Reported, "token"), plural(r.Reported, "its", "their"))
	}
	if n := r.ReportsPending; n > 0 {
		fmt.Fprintf(&b, " (%d pending: sent again by the next run that finds %s)", n, plural(n, "it", "them"))
	}
	if n := r.Missing; n > 0 {
		fmt.Fprintf(&b, ", %d %s missing (partial clone): not scanned", n, plural(int(n), "object"))
	}
	if r.Inputs > 0 || r.Bytes > 0 {
		fmt.Fprintf(&b, "; %d %s, %s scanned", r.Inputs, plural(int(r.Inputs), "input"), humanBytes(r.Bytes))
	}
	fmt.Fprintf(&b, " in %s", took.Round(time.Millisecond))
	return b.String()
}

// missingError is the error line of a run that could not read n objects
// and was not allowed to (Options.AllowMissing): "3 objects missing
// (partial clone): not scanned and not fetched; --allow-missing accepts
// an incomplete scan". Its beginning is stable, for scripts.
func missingError(n int64) string {
	return fmt.Sprintf("%d %s missing (partial clone): not scanned and not fetched; --allow-missing accepts an incomplete scan",
		n, plural(int(n), "object"))
}

// ProgressLine is the progress of a run that has gone on for elapsed:
// "scanning: 12 inputs, 4.5 MiB, 1.2 MiB/s, 3 findings"; empty during the
// first second, when a rate means little and most scans are over.
func (s *Stats) ProgressLine(elapsed time.Duration) string {
	if elapsed < time.Second {
		return ""
	}
	b := s.Bytes()
	return fmt.Sprintf("scanning: %d inputs, %s, %s/s, %d findings",
		s.Inputs(), humanBytes(b), humanBytes(int64(float64(b)/elapsed.Seconds())), s.Findings())
}

// plural is word, or word+"s" unless n is 1; or, given a plural form,
// that form unless n is 1.
func plural(n int, word string, pl ...string) string {
	switch {
	case n == 1:
		return word
	case len(pl) > 0:
		return pl[0]
	}
	return word + "s"
}

// humanBytes formats a byte count with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
