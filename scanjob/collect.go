package scanjob

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/ignore"
	"github.com/leakguard/leakguard/scanner/report"
)

// Stats counts what a run has read so far; it is safe for concurrent use
// (a progress display reads it while the run goes on).
type Stats struct {
	inputs   atomic.Int64
	bytes    atomic.Int64
	findings atomic.Int64
}

// Inputs is the number of files and streams opened.
func (s *Stats) Inputs() int64 { return s.inputs.Load() }

// Bytes is the number of bytes read.
func (s *Stats) Bytes() int64 { return s.bytes.Load() }

// Findings is the number of findings kept so far (counted while files,
// directories and standard input are scanned).
func (s *Stats) Findings() int64 { return s.findings.Load() }

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
	list       *ignore.List
	findings   []scanner.Finding
	suppressed int
	allowed    int
	stats      *Stats // counts findings when set
}

// add takes one finding; it is safe for concurrent use.
func (c *collector) add(f scanner.Finding) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case f.Allowed:
		c.allowed++
		return nil
	case c.list.Match(f.TokenHash):
		c.suppressed++
		return nil
	}
	// Status and action are filled after the scan (Job.settle); without
	// Options.Resolve they stay absent.
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
