package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/report"
)

// findingSink is where an organisation scan's findings go. JSON Lines to
// stdout stream per repository (a repository's checkpoint is saved right
// after its lines are written); text, SARIF and --output FILE are written
// once at the end, and every checkpoint is saved after that write.
type findingSink struct {
	c   *githubCommon
	cat *patterns.Catalog

	mu      sync.Mutex
	all     []scanner.Finding
	commits []func() error
	seen    map[string]bool // hash + location, to merge duplicates
}

func newFindingSink(c *githubCommon, cat *patterns.Catalog) *findingSink {
	return &findingSink{c: c, cat: cat, seen: map[string]bool{}}
}

func (s *findingSink) streaming() bool { return s.c.format == report.FormatJSON && s.c.output == "" }

// add takes one repository's findings; commit runs once they are durable.
func (s *findingSink) add(fs []scanner.Finding, commit func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs = s.dedupe(fs)
	if !s.streaming() {
		s.all = append(s.all, fs...)
		if commit != nil {
			s.commits = append(s.commits, commit)
		}
		return nil
	}
	report.Sort(fs)
	if err := report.WriteJSON(s.c.stdout, fs); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if f, ok := s.c.stdout.(*os.File); ok {
		_ = f.Sync() // a pipe or terminal cannot sync; a file can
	}
	s.all = append(s.all, fs...)
	if commit != nil {
		return commit()
	}
	return nil
}

// dedupe drops findings already seen at the same place (a repository
// scanned twice after a worker was presumed dead). Called with s.mu held.
func (s *findingSink) dedupe(fs []scanner.Finding) []scanner.Finding {
	out := fs[:0:0]
	for _, f := range fs {
		k := strings.Join([]string{f.TokenHash, f.Repository, f.Path, fmt.Sprint(f.Line, ":", f.Column), f.Commit}, "\x00")
		if !s.seen[k] {
			s.seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// flush writes the collected report (non-streaming formats) and then runs
// the pending commits.
func (s *findingSink) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streaming() {
		return nil
	}
	fs := append([]scanner.Finding(nil), s.all...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Repository < fs[j].Repository })
	opts := report.Options{Version: buildVersion(), Catalog: s.cat}
	if s.c.format == report.FormatText {
		for i := range fs { // one text line per finding: show the repository
			if fs[i].Repository != "" {
				fs[i].Path = fs[i].Repository + "/" + fs[i].Path
			}
		}
		report.Sort(fs)
	}
	write := func(w io.Writer) error { return report.Write(w, s.c.format, fs, opts) }
	var err error
	if s.c.output != "" {
		err = writeAtomic(s.c.output, write)
	} else {
		opts.Color = isTerminal(s.c.stdout) && s.c.getenv("NO_COLOR") == ""
		err = write(s.c.stdout)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, commit := range s.commits {
		if err := commit(); err != nil {
			return err
		}
	}
	s.commits = nil
	return nil
}

// startOrgProgress shows progress on stderr: a line rewritten in place on
// a terminal, a plain line every --progress-interval otherwise. --quiet
// turns it off.
func startOrgProgress(c *githubCommon, r *orgRun) func() {
	if c.quiet {
		return func() {}
	}
	tty := isTerminal(c.stderr)
	every := c.progressEvery
	if tty {
		every = 250 * time.Millisecond
	}
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown && tty {
					fmt.Fprint(c.stderr, "\r\x1b[K")
				}
				return
			case <-t.C:
				line := r.progressLine()
				if tty {
					fmt.Fprint(c.stderr, "\r\x1b[K"+line)
				} else {
					fmt.Fprintln(c.stderr, "leakguard: "+line)
				}
				shown = true
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// progressLine is "github scan: 12/200 repositories, 3400 objects, 52 MiB
// (0.8 MiB/s), 3 findings, 1m2s, ETA 3m".
func (r *orgRun) progressLine() string {
	r.mu.Lock()
	done, total, findings, failed := r.done+r.failed, r.total, r.findings, r.failed
	objects, mib := r.objects, float64(r.bytes)/(1<<20)
	r.mu.Unlock()
	elapsed := r.o.now().Sub(r.start)
	el := elapsed.Round(time.Second)
	line := fmt.Sprintf("github scan: %d/%d repositories, %d objects, %.0f MiB", done, total, objects, mib)
	if secs := elapsed.Seconds(); secs >= 1 {
		line += fmt.Sprintf(" (%.1f MiB/s)", mib/secs)
	}
	line += fmt.Sprintf(", %d %s", findings, plural(findings, "finding"))
	if failed > 0 {
		line += fmt.Sprintf(", %d failed", failed)
	}
	line += ", " + el.String()
	if done > 0 && done < total {
		eta := time.Duration(float64(el) / float64(done) * float64(total-done)).Round(time.Second)
		line += ", ETA " + eta.String()
	}
	return line
}

// summary prints the end-of-run summary on stderr: repositories,
// findings, revoked, skipped and failed with reasons.
func (r *orgRun) summary() {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.o.stderr
	var b strings.Builder
	fmt.Fprintf(&b, "github scan: %d %s (%d scanned", r.total, repositories(r.total), r.done)
	if r.unchanged > 0 {
		fmt.Fprintf(&b, ", %d unchanged since the last scan", r.unchanged)
	}
	if r.empty > 0 {
		fmt.Fprintf(&b, ", %d empty", r.empty)
	}
	if r.failed > 0 {
		fmt.Fprintf(&b, ", %d failed", r.failed)
	}
	fmt.Fprintf(&b, "), %d %s, %d revoked", r.findings, plural(r.findings, "finding"), r.revoked)
	if len(r.skipped) > 0 {
		fmt.Fprintf(&b, ", %d skipped", len(r.skipped))
	}
	fmt.Fprintf(&b, " in %s", r.o.now().Sub(r.start).Round(time.Millisecond))
	warnf(w, "%s", b.String())
	reasons := map[string]int{}
	for _, s := range r.skipped {
		reasons[s.Reason]++
	}
	// Repository names and reasons (often an error from the API) are
	// remote text: escaped.
	for _, k := range sortedKeysOf(reasons) {
		warnf(w, "  skipped %d: %s", reasons[k], report.Escape(k))
	}
	for _, f := range r.failures {
		warnf(w, "  failed %s: %s", report.Escape(f.Repo), report.Escape(f.Reason))
	}
}

func sortedKeysOf(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func repositories(n int) string {
	if n == 1 {
		return "repository"
	}
	return "repositories"
}
