package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/diff"
	"github.com/leakguard/leakguard/scanner/report"
)

// scanStats counts what was read, for the summary and the progress line.
type scanStats struct {
	files    atomic.Int64
	bytes    atomic.Int64
	findings atomic.Int64
}

// countingReader adds what it reads to a counter.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// collector gathers findings from concurrent sources, dropping inline-allowed
// ones and those on an ignore list or baseline.
type collector struct {
	mu         sync.Mutex
	sup        *suppressions
	findings   []scanner.Finding
	suppressed int
	allowed    int
	stats      *scanStats
}

func newCollector(sup *suppressions) *collector { return &collector{sup: sup} }

// add takes one finding; it is safe for concurrent use.
func (c *collector) add(f scanner.Finding) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case f.Allowed:
		c.allowed++
		return nil
	case c.sup.match(f.TokenHash):
		c.suppressed++
		return nil
	}
	// Status and action are filled after the scan, from --db or
	// --server (scanRun.settle); without them they stay absent.
	c.findings = append(c.findings, f)
	if c.stats != nil {
		c.stats.findings.Add(1)
	}
	return nil
}

// result returns the findings in deterministic order.
func (c *collector) result() []scanner.Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	report.Sort(c.findings)
	return c.findings
}

// scanPaths scans files, directories and "-" (stdin) with the engine's
// parallel walker, reporting unreadable paths on stderr and going on.
func (r *scanRun) scanPaths(ctx context.Context, paths []string) error {
	r.col.stats = &r.stats
	var files []string
	stdin := false
	for _, p := range paths {
		if p == "-" {
			stdin = true
		} else {
			files = append(files, p)
		}
	}
	if stdin {
		r.scanStdin(ctx)
	}
	if len(files) == 0 {
		return ctx.Err()
	}
	opts := scanner.WalkOptions{
		IncludeAllowed: true, // the collector drops and counts them
		OnError: func(path string, err error) {
			if ctx.Err() != nil {
				return // cut short by the interruption, which run reports
			}
			if strings.Contains(err.Error(), path) {
				r.errorf("%v", err)
			} else {
				r.errorf("%s: %v", path, err)
			}
		},
		OnFile: func(path string, size int64) {
			r.stats.files.Add(1)
			r.stats.bytes.Add(size)
			r.log.Debug().Str("path", path).Int64("bytes", size).Msg("scanned file")
		},
	}
	err := r.sc.ScanPaths(ctx, files, opts, r.col.add)
	if errors.Is(err, scanner.ErrIncomplete) {
		return nil // every failed path went through OnError
	}
	return err
}

// scanStdin scans standard input (source "stdin", no path) until its end
// or until ctx is cancelled.
func (r *scanRun) scanStdin(ctx context.Context) {
	if r.sio.Stdin == nil {
		r.errorf("stdin: not available")
		return
	}
	r.stats.files.Add(1)
	in, release := interruptible(ctx, r.sio.Stdin)
	defer release()
	err := r.sc.Scan(countingReader{in, &r.stats.bytes}, func(m scanner.Match) error {
		return r.col.add(scanner.NewFinding(m, leakguard.SourceStdin, ""))
	})
	if err != nil && ctx.Err() == nil { // an interruption is reported once, by run
		r.errorf("stdin: %v", err)
	}
}

// scanDiffs scans unified diffs: stdin, or the files named.
func (r *scanRun) scanDiffs(ctx context.Context) error {
	names := r.o.paths
	if len(names) == 0 {
		names = []string{"-"} // roots() checked that stdin is usable
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		in, closeIn, err := r.openInput(ctx, name)
		if err != nil {
			r.errorf("%v", err)
			continue
		}
		r.stats.files.Add(1)
		err = r.scanDiff(countingReader{in, &r.stats.bytes})
		closeIn()
		if err != nil && ctx.Err() == nil { // an interruption is reported once, by run
			r.errorf("%s: %v", inputName(name), err)
		}
	}
	return nil
}

func inputName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// openInput opens a named input; "-" is stdin. Either is read until its
// end or until ctx is cancelled, even a FIFO or a pipe that never ends.
func (r *scanRun) openInput(ctx context.Context, name string) (io.Reader, func(), error) {
	if name == "-" {
		if r.sio.Stdin == nil {
			return nil, nil, fmt.Errorf("stdin: not available")
		}
		in, release := interruptible(ctx, r.sio.Stdin)
		return in, release, nil
	}
	f, err := scanner.OpenInput(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// scanDiff scans the added lines of one diff. A finding's line is the new
// file's line number; its column counts bytes of the line without the '+'.
func (r *scanRun) scanDiff(in io.Reader) error {
	return diff.Parse(in, func(b diff.Block) error {
		return r.sc.ScanBytes(b.Data, func(m scanner.Match) error {
			f := scanner.NewFinding(m, leakguard.SourceDiff, b.Path)
			f.Line = b.Line + m.Line - 1
			f.Commit, f.Author = b.Commit, b.Author
			return r.col.add(f)
		})
	})
}

// startProgress shows a progress line on stderr while a long scan runs, only
// when stderr is a terminal. The returned function stops and erases it.
func startProgress(w io.Writer, enabled bool, st *scanStats, now func() time.Time) func() {
	if !enabled || !isTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := now()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(w, "\r\x1b[K")
				}
				return
			case <-t.C:
				el := now().Sub(start)
				if el < time.Second {
					continue
				}
				b := st.bytes.Load()
				fmt.Fprintf(w, "\r\x1b[Kscanning: %d inputs, %s, %s/s, %d findings",
					st.files.Load(), humanBytes(b), humanBytes(int64(float64(b)/el.Seconds())), st.findings.Load())
				shown = true
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
