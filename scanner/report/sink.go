package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/leakguard/leakguard/scanner"
)

// SinkOptions say where and how a Sink writes its report.
type SinkOptions struct {
	// Format is FormatText, FormatJSON or FormatSARIF.
	Format string
	// Stdout receives the report when Output is nil.
	Stdout io.Writer
	// Output, when set, writes the whole report at Flush (to a file,
	// atomically, say) instead of Stdout.
	Output func(write func(io.Writer) error) error
	// Report are the writers' options; Color applies to Stdout only.
	Report Options
}

// Sink collects findings that arrive in batches (one repository's at a
// time) into one report, dropping a finding seen before at the same place
// (a repository scanned twice). JSON Lines to Stdout stream batch by batch
// and each batch's commit runs right after its lines are written (and
// synced, when Stdout is a file); every other report is written once, at
// Flush, and every commit runs after that write. It is safe for concurrent
// use and its Add makes it an orgscan.Sink.
type Sink struct {
	o SinkOptions

	mu      sync.Mutex
	all     []scanner.Finding
	commits []func() error
	seen    map[string]bool // hash + location
}

// NewSink returns a Sink writing as o says.
func NewSink(o SinkOptions) *Sink {
	return &Sink{o: o, seen: map[string]bool{}}
}

func (s *Sink) streaming() bool { return s.o.Format == FormatJSON && s.o.Output == nil }

// Add takes one batch of findings; commit, when not nil, runs once they
// are durable (see Sink).
func (s *Sink) Add(fs []scanner.Finding, commit func() error) error {
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
	Sort(fs)
	if err := WriteJSON(s.o.Stdout, fs); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if f, ok := s.o.Stdout.(*os.File); ok {
		_ = f.Sync() // a pipe or terminal cannot sync; a file can
	}
	s.all = append(s.all, fs...)
	if commit != nil {
		return commit()
	}
	return nil
}

// dedupe drops findings already seen at the same place. Called with s.mu
// held.
func (s *Sink) dedupe(fs []scanner.Finding) []scanner.Finding {
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

// Flush writes the collected report (all but streamed JSON Lines), ordered
// by repository, then runs the pending commits. In text, a finding's path
// starts with its repository.
func (s *Sink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streaming() {
		return nil
	}
	fs := append([]scanner.Finding(nil), s.all...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Repository < fs[j].Repository })
	opts := s.o.Report
	if s.o.Format == FormatText {
		for i := range fs { // one text line per finding: show the repository
			if fs[i].Repository != "" {
				fs[i].Path = fs[i].Repository + "/" + fs[i].Path
			}
		}
		Sort(fs)
	}
	var err error
	if s.o.Output != nil {
		opts.Color = false
		err = s.o.Output(func(w io.Writer) error { return Write(w, s.o.Format, fs, opts) })
	} else {
		err = Write(s.o.Stdout, s.o.Format, fs, opts)
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
