package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner/archive"
)

// ErrIncomplete is wrapped by the error ScanPaths returns when some paths
// could not be read; the others were still scanned.
var ErrIncomplete = errors.New("some paths could not be scanned")

// WalkOptions configure ScanPaths. The zero value is ready to use.
type WalkOptions struct {
	// Workers is how many files are scanned at once (default GOMAXPROCS).
	Workers int
	// IncludeAllowed also reports matches whose line carries an inline-allow
	// marker (Finding.Allowed set); by default they are dropped.
	IncludeAllowed bool
	// OnError is told about every path that could not be read (missing,
	// unreadable, failed mid-read). It runs on the caller's goroutine.
	OnError func(path string, err error)
	// OnFile is called after each file's findings are emitted, in the same
	// deterministic order, with the bytes read; for progress displays.
	OnFile func(path string, size int64)
	// Archives, when set, opens the archives and compressed files found
	// (recognised by their first bytes; package scanner/archive) and scans
	// their entries, within these limits, instead of their raw bytes. Each
	// limit hit, skipped entry or corrupt archive goes to OnError, at the
	// "!" path where it happened, and counts the file as not read. Zero
	// limits are archive.DefaultLimits'.
	Archives *archive.Limits
}

// ScanPaths scans files and directory trees and calls emit for each finding
// (source "file"), on the caller's goroutine, ordered by path, then line,
// then column, however the workers are scheduled.
//
// Directories are read recursively and in parallel; files are scanned in
// parallel by opts.Workers goroutines. With one worker and one path, the
// tree is scanned on the caller's goroutine while it is listed, in the
// same order (walk_linux.go; elsewhere it is listed first). Within a tree, symbolic links are
// never followed, non-regular files (FIFOs, devices, sockets) are skipped and
// directories named ".git" are skipped (history is a separate source); a
// path given as an argument is read even when it is a symlink, a FIFO or a
// pipe (/dev/fd/N), as grep -r does: a FIFO is opened without blocking and
// read once a writer has connected, until it closes (see openFile). A read
// waiting on a FIFO, pipe or device stops as soon as ctx is cancelled.
// Binary files are scanned like text; with opts.Archives, archives are
// opened and a finding in an entry is at "archive!entry" (unpack.go). A finding's path is the
// argument joined with the path inside it, as grep -r prints it ("./a/b"
// for argument "."). Each unreadable path goes to opts.OnError and the scan
// goes on; the returned error then wraps ErrIncomplete. An error from emit,
// or the context's, stops the scan and is returned.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string, opts WalkOptions, emit func(Finding) error) error {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Workers == 1 && len(paths) == 1 {
		if ok, failed, err := s.streamTree(ctx, paths[0], opts, emit); ok {
			return scanResult(failed, err)
		}
	}
	files, walkErrs := discover(ctx, paths, opts.Workers)
	failed := len(walkErrs)
	for _, pe := range walkErrs {
		if opts.OnError != nil {
			opts.OnError(pe.path, pe.err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	var n int
	var err error
	if opts.Workers == 1 {
		n, err = s.scanInline(ctx, files, opts, emit)
	} else {
		n, err = s.scanFiles(ctx, files, opts, emit)
	}
	return scanResult(failed+n, err)
}

// scanResult is ScanPaths' error: err, or ErrIncomplete when paths failed.
func scanResult(failed int, err error) error {
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("scan: %d path(s) could not be read: %w", failed, ErrIncomplete)
	}
	return nil
}

// walkFile is a file to scan. A file found inside a tree (tree set) is
// known to be regular from its directory entry and is read with
// openTreeFile; a path given as an argument may be anything (a FIFO, a
// device, a /proc file) and is read with openFile.
type walkFile struct {
	path string
	tree bool
}

// pathErr is a path that could not be read.
type pathErr struct {
	path string
	err  error
}

// walker collects the files under the arguments, listing directories in
// parallel.
type walker struct {
	ctx   context.Context
	sem   chan struct{} // bounds the extra goroutines listing directories (workers-1)
	wg    sync.WaitGroup
	mu    sync.Mutex
	files []walkFile
	errs  []pathErr
}

// discover returns the files to scan, sorted and without duplicates, and
// the paths that failed, sorted.
func discover(ctx context.Context, paths []string, workers int) ([]walkFile, []pathErr) {
	// The caller's goroutine is one of the workers: with one worker the
	// walk runs inline, with no goroutine hand-offs.
	w := &walker{ctx: ctx, sem: make(chan struct{}, workers-1)}
	for _, p := range paths {
		w.arg(p)
	}
	w.wg.Wait()
	slices.SortFunc(w.files, func(a, b walkFile) int { return strings.Compare(a.path, b.path) })
	slices.SortFunc(w.errs, func(a, b pathErr) int { return strings.Compare(a.path, b.path) })
	return slices.CompactFunc(w.files, func(a, b walkFile) bool { return a.path == b.path }), w.errs
}

// arg handles a path given by the user: it is followed if it is a symlink.
func (w *walker) arg(p string) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		w.fail(p, err)
	case fi.IsDir():
		w.dir(p)
	default:
		w.add(walkFile{path: p})
	}
}

// dir lists one directory and recurses, in a new goroutine when a slot is
// free and inline otherwise.
func (w *walker) dir(dir string) {
	if w.ctx.Err() != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.fail(dir, err)
	}
	for _, e := range entries {
		p := joinPath(dir, e.Name())
		switch t := e.Type(); {
		case t&fs.ModeSymlink != 0:
		case t.IsDir():
			if e.Name() == ".git" {
				continue
			}
			select {
			case w.sem <- struct{}{}:
				w.wg.Add(1)
				go func() {
					defer w.wg.Done()
					defer func() { <-w.sem }()
					w.dir(p)
				}()
			default:
				w.dir(p)
			}
		case t.IsRegular():
			w.add(walkFile{path: p, tree: true})
		}
	}
}

func (w *walker) add(p walkFile) {
	w.mu.Lock()
	w.files = append(w.files, p)
	w.mu.Unlock()
}

func (w *walker) fail(p string, err error) {
	w.mu.Lock()
	w.errs = append(w.errs, pathErr{p, err})
	w.mu.Unlock()
}

// joinPath joins as grep -r prints: the argument as given, trailing
// slashes collapsed to one separator, then the name ("." + "a" = "./a").
func joinPath(dir, name string) string {
	sep := string(os.PathSeparator)
	trimmed := strings.TrimRight(dir, sep)
	if trimmed == "" && strings.HasPrefix(dir, sep) {
		return sep + name
	}
	return trimmed + sep + name
}

// fileResult is one file's outcome, waiting for its turn to be emitted.
type fileResult struct {
	done     chan struct{}
	findings []Finding
	size     int64
	err      error
}

// scanFiles scans files in parallel and emits their results in order. A
// worker may run at most a window of files ahead of the emitter, which
// bounds the findings held in memory. It returns how many files failed.
func (s *Scanner) scanFiles(ctx context.Context, files []walkFile, opts WalkOptions, emit func(Finding) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]fileResult, len(files))
	for i := range results {
		results[i].done = make(chan struct{})
	}
	slots := make(chan struct{}, 4*opts.Workers+64)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(opts.Workers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.scanWorker(ctx, files, results, slots, &next, &opts)
		}()
	}
	defer wg.Wait()
	failed := 0
	for i := range results {
		select {
		case <-results[i].done:
		case <-ctx.Done():
			return failed, fmt.Errorf("scan: %w", ctx.Err())
		}
		if err := ctx.Err(); err != nil {
			return failed, fmt.Errorf("scan: %w", err)
		}
		r := &results[i]
		if err := deliver(files[i].path, r.findings, r.size, r.err, opts, emit); err != nil {
			return failed, err
		}
		if r.err != nil {
			failed++
		}
		*r = fileResult{}
		<-slots
	}
	return failed, nil
}

// scanInline scans files one after the other on the caller's goroutine and
// emits as it goes: with one worker, the channels and goroutines of
// scanFiles only add scheduler hand-offs (futex wake-ups and sysmon
// activity, costly on one core). It returns how many files failed.
func (s *Scanner) scanInline(ctx context.Context, files []walkFile, opts WalkOptions, emit func(Finding) error) (int, error) {
	failed := 0
	for _, wf := range files {
		if err := ctx.Err(); err != nil {
			return failed, fmt.Errorf("scan: %w", err)
		}
		findings, size, err := s.scanFile(ctx, wf, &opts)
		if cerr := ctx.Err(); cerr != nil {
			return failed, fmt.Errorf("scan: %w", cerr)
		}
		if err := deliver(wf.path, findings, size, err, opts, emit); err != nil {
			return failed, err
		}
		if err != nil {
			failed++
		}
	}
	return failed, nil
}

// deliver emits one file's findings in order, then reports its read error
// (if any) and its size to opts.OnError and opts.OnFile.
func deliver(path string, findings []Finding, size int64, readErr error, opts WalkOptions, emit func(Finding) error) error {
	for _, f := range findings {
		if err := emit(f); err != nil {
			return err
		}
	}
	if readErr != nil && opts.OnError != nil {
		var ps problems
		if !errors.As(readErr, &ps) {
			ps = problems{readErr}
		}
		for _, err := range ps {
			var ae *archive.Error
			if errors.As(err, &ae) {
				opts.OnError(ae.Path, err)
			} else {
				opts.OnError(path, err)
			}
		}
	}
	if opts.OnFile != nil {
		opts.OnFile(path, size)
	}
	return nil
}

// scanWorker takes the next file whenever the emitter is less than a window
// behind, scans it, and marks it done.
func (s *Scanner) scanWorker(ctx context.Context, files []walkFile, results []fileResult,
	slots chan struct{}, next *atomic.Int64, opts *WalkOptions) {
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		i := int(next.Add(1) - 1)
		if i >= len(files) {
			<-slots
			return
		}
		r := &results[i]
		r.findings, r.size, r.err = s.scanFile(ctx, files[i], opts)
		close(r.done)
	}
}

// scanFile scans one file and returns its findings and the bytes read.
func (s *Scanner) scanFile(ctx context.Context, wf walkFile, opts *WalkOptions) ([]Finding, int64, error) {
	var f io.ReadCloser
	var err error
	if wf.tree {
		f, err = openTreeFile(ctx, wf.path)
	} else {
		f, err = openFile(ctx, wf.path)
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return s.scanReader(ctx, f, wf.path, opts)
}

// scanReader scans one opened file and returns its findings (source
// "file", at path) and the bytes read. With opts.Archives, an archive's
// entries are scanned instead (unpack.go) and the problems met come back
// as one error of type problems.
func (s *Scanner) scanReader(ctx context.Context, r io.Reader, path string, opts *WalkOptions) ([]Finding, int64, error) {
	cr := &countingReader{ctx: ctx, r: r}
	if opts.Archives != nil {
		return s.scanArchives(cr, path, opts)
	}
	var out []Finding
	err := s.Scan(cr, func(m Match) error {
		if !m.Allowed || opts.IncludeAllowed {
			out = append(out, NewFinding(m, leakguard.SourceFile, path))
		}
		return nil
	})
	return out, cr.n, err
}

// countingReader counts bytes and stops reading once ctx is done.
type countingReader struct {
	ctx context.Context
	r   io.Reader
	n   int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
