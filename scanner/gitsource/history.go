package gitsource

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/leakguard/leakguard/internal/budget"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
)

// HistoryOptions selects what a history scan reads.
type HistoryOptions struct {
	Repo       string   // repository directory ("" = current)
	Range      string   // revision arguments (ParseRange); "" = every ref and HEAD
	Paths      []string // limit to these repository paths (pathspecs, literal)
	Checkpoint string   // file recording scanned ref tips; "" = none
	Stderr     io.Writer
	Progress   io.Writer     // where a live status line goes (a terminal); nil = none
	Stats      *HistoryStats // if set, counts what the scan reads (for callers' progress)
	Workers    int           // parallel scanners (0 = GOMAXPROCS)
	CatFiles   int           // cat-file processes reading blobs in parallel, by path (0 = 1)
	MaxMemory  int64         // in-flight blob bytes (0 = 64 MiB)
	MaxBlob    int64         // larger blobs are streamed, not buffered (0 = 8 MiB)
	// CatFileOnly reads every blob through cat-file instead of walking
	// the repository's packs (docs/git-history.md#pack-walk): the
	// reference the walk is tested against, and a way around it.
	CatFileOnly bool
	BaseEnv     []string // environment git starts from, before hardening (nil = the process's; Git.BaseEnv)
	// Missing, if set, counts the objects the selected history holds that
	// the repository does not have (a partial clone's unfetched blobs, or
	// trees): they are skipped, never fetched, and the checkpoint is then
	// not updated. Nil: a missing object is an error (ErrGit), as before.
	Missing *atomic.Int64
	// Archives, if set, opens the archives blobs are (zip, jar, tgz, ...,
	// scanner.ScanBlob) within these limits: a token inside is reported at
	// the blob's path, "!" and the entry's name per level
	// ("dist/site.zip!lib/app.jar!config.yml"). Nil scans blobs as bytes.
	Archives *archive.Limits
	// OnProblem is told what a blob left unread (a problem inside one of
	// its archives, or the decoding budget passed), with the blob's path;
	// the scan goes on. Nil: such a problem ends the scan as an error.
	OnProblem func(path string, err error)
}

// blobScanner scans blobs as HistoryOptions say.
type blobScanner struct {
	sc        *scanner.Scanner
	archives  *archive.Limits
	onProblem func(path string, err error)
}

// check passes a blob's scan error on, unless it is only a problem of
// what the blob held (an archive's, or the decoding budget) and there is
// someone to tell: then it is told and the scan goes on.
func (bs blobScanner) check(oid, path string, err error) error {
	if err == nil {
		return nil
	}
	var ae *archive.Error
	var de *scanner.DecodeBudgetError
	if bs.onProblem != nil && (errors.As(err, &ae) || errors.As(err, &de)) {
		bs.onProblem(path, err)
		return nil
	}
	return fmt.Errorf("git: scan blob %s: %w", oid, err)
}

// blob is one object to scan.
type blob struct {
	oid, path string
	data      []byte
	buf       *[]byte // pooled backing buffer, returned after scanning
}

// hit is a scanned blob that holds tokens.
type hit struct {
	oid, path string
	matches   []scanner.Match
}

// ScanHistory scans every unique blob reachable from the selected
// revisions once and emits a Finding (source "git") per token, attributed to
// the commit that introduced the blob at its path: the first commit, in
// topological order from the oldest, whose diff against one of its parents
// (any parent of a merge; renames not followed) sets that path to that
// blob. The blobs holding tokens are attributed together in one pass once
// every blob is read; a scan that finds nothing runs no attribution at all.
// emit is called from one goroutine at a time.
func ScanHistory(ctx context.Context, o HistoryOptions, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	return scanHistory(ctx, Git{Dir: o.Repo, BaseEnv: o.BaseEnv}.Cached(), o, sc, emit)
}

// scanHistory is ScanHistory with the git processes run through g.
func scanHistory(ctx context.Context, g Git, o HistoryOptions, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	o.defaults()
	args, err := ParseRange(o.Range)
	if err != nil {
		return err
	}
	revs, err := Resolve(ctx, g, args)
	if err != nil {
		return err
	}
	var cp *checkpoint
	if o.Checkpoint != "" {
		if cp, revs, err = applyCheckpoint(ctx, g, o.Checkpoint, revs, o.Stderr); err != nil {
			return err
		}
	}
	var missing int64
	if len(revs.Include) > 0 {
		if missing, err = scanRevisions(ctx, g, o, revs, sc, emit); err != nil {
			return err
		}
	}
	if missing > 0 {
		o.Missing.Add(missing)
		if cp != nil {
			fmt.Fprintf(o.Stderr, "leakguard: checkpoint %s not updated: %d %s missing\n", o.Checkpoint, missing, plural(missing, "object"))
		}
		return nil
	}
	if cp != nil {
		return cp.save()
	}
	return nil
}

// plural is word, with an "s" unless n is 1.
func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func (o *HistoryOptions) defaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.CatFiles <= 0 {
		o.CatFiles = 1
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = 64 << 20
	}
	if o.MaxBlob <= 0 {
		o.MaxBlob = 8 << 20
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
}

// scanRevisions runs the pipeline rev-list → cat-file → scanners, then
// attribution → emit, failing on the first error of any stage. It returns
// the number of missing objects skipped (only when o.Missing is set).
func scanRevisions(ctx context.Context, g Git, o HistoryOptions, revs Revisions, sc *scanner.Scanner, emit func(scanner.Finding) error) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var grp group
	grp.cancel = cancel

	lst, err := listMode(ctx, g, o.Missing != nil)
	if err != nil {
		return 0, err
	}
	prog := o.Stats
	if prog == nil {
		prog = new(HistoryStats)
	}
	bs := blobScanner{sc: sc, archives: o.Archives, onProblem: o.OnProblem}
	revList, revOut, err := startRevList(ctx, g, revs, o.Paths, lst)
	if err != nil {
		return 0, err
	}
	var pw *packWalker // opened while rev-list walks
	if !o.CatFileOnly {
		if pw, err = openPackWalker(ctx, g, o, bs, prog); err != nil {
			_ = revList.cmd.Process.Kill()
			_ = revList.wait()
			return 0, err
		}
	}
	if pw != nil {
		defer pw.close()
	}
	progCtx, stopProg := context.WithCancel(ctx)
	progDone := make(chan struct{})
	go func() { defer close(progDone); prog.show(progCtx, o.Progress) }()
	defer func() { stopProg(); <-progDone }()
	hits := make(chan hit, 64)
	var cats []*catFile
	if pw != nil {
		// The walk needs the whole listing to know which deltas lead to
		// a wanted blob; it is planned as rev-list prints it.
		roots, wants, rest, err := pw.plan(revOut, lst.missing)
		if err != nil {
			_ = revList.cmd.Process.Kill()
			return 0, pipelineError(fmt.Errorf("%w rev-list: read: %v", ErrGit, err), revList.wait())
		}
		grp.Go(func() error {
			more, err := pw.walk(ctx, roots, wants, hits)
			if err != nil {
				close(hits)
				return err
			}
			if rest = append(rest, more...); len(rest) == 0 {
				close(hits)
				return nil
			}
			// What the walk left: cat-file reads it as below.
			if cats, err = g.startCatFiles(ctx, o.CatFiles); err != nil {
				close(hits)
				return err
			}
			grp.Go(func() error { return feedCatFiles(bytesReader(rest), catInputs(cats), nil) })
			startScanners(ctx, &grp, bs, o, cats, prog, lst.missing, hits)
			return nil
		})
	} else {
		if cats, err = g.startCatFiles(ctx, o.CatFiles); err != nil {
			_ = revList.cmd.Process.Kill()
			_ = revList.wait()
			return 0, err
		}
		grp.Go(func() error { return feedCatFiles(revOut, catInputs(cats), lst.missing) })
		startScanners(ctx, &grp, bs, o, cats, prog, lst.missing, hits)
	}
	grp.Go(func() error { return attribute(ctx, g, revs, hits, emit) })

	err = grp.Wait()
	procs := []error{revList.wait()}
	for _, c := range cats {
		procs = append(procs, c.proc.wait())
	}
	if err = pipelineError(err, procs...); err != nil {
		return 0, err
	}
	if lst.missing == nil {
		return 0, nil
	}
	return lst.missing.Load(), nil
}

// catInputs are the standard inputs of cats.
func catInputs(cats []*catFile) []io.WriteCloser {
	ins := make([]io.WriteCloser, len(cats))
	for i, c := range cats {
		ins[i] = c.in
	}
	return ins
}

// startScanners starts, in grp, one reader per cat-file process and
// o.Workers scanners sharing the memory budget and the blob buffers; hits
// is closed once every scanner is done.
func startScanners(ctx context.Context, grp *group, bs blobScanner, o HistoryOptions, cats []*catFile, prog *HistoryStats, missing *atomic.Int64, hits chan<- hit) {
	mem := budget.New(o.MaxMemory)
	pool := &buffers{keep: o.MaxMemory}
	blobs := make(chan []blob, o.Workers*2)
	var readers, workers sync.WaitGroup
	for _, cat := range cats {
		readers.Add(1)
		grp.Go(func() error {
			defer readers.Done()
			return readObjects(ctx, cat, bs, o.MaxBlob, mem, pool, prog, missing, blobs, hits)
		})
	}
	go func() { readers.Wait(); close(blobs) }()
	for range o.Workers {
		workers.Add(1)
		grp.Go(func() error {
			defer workers.Done()
			return scanBlobs(ctx, bs, mem, pool, blobs, hits)
		})
	}
	go func() { workers.Wait(); close(hits) }()
}

// pipelineError picks the error to report: a git process that failed with
// its own message first (a stage error is then only its echo), then the
// first stage error, then any other process failure.
func pipelineError(stage error, procs ...error) error {
	for _, e := range procs {
		var ge *gitErr
		if errors.As(e, &ge) && ge.stderr != "" {
			return e
		}
	}
	if stage != nil {
		return stage
	}
	return errors.Join(procs...)
}

// listing says how rev-list lists the objects of a history scan.
type listing struct {
	// missing, when set, counts missing objects: rev-list runs with
	// --missing=print and without the blob-type filter, and cat-file
	// skips what is not a blob.
	missing *atomic.Int64
}

// listMode picks the listing. Only a partial clone whose caller counts
// missing objects gets --missing=print, which makes rev-list skip and
// print them ("?<oid>") and never fetch one (it turns lazy fetching off in
// the process, on top of scanEnv). It drops --filter=object:type=blob:
// with that filter git silently omits missing trees, and with them every
// blob under them. Other repositories keep the faster blob-only listing,
// where a missing object is git's error.
func listMode(ctx context.Context, g Git, count bool) (listing, error) {
	if !count {
		return listing{}, nil
	}
	partial, err := g.partialClone(ctx)
	if err != nil || !partial {
		return listing{}, err
	}
	return listing{missing: new(atomic.Int64)}, nil
}

// startRevList starts `git rev-list --objects` over blobs of revs.
func startRevList(ctx context.Context, g Git, revs Revisions, paths []string, lst listing) (*proc, io.ReadCloser, error) {
	// Trees are small: a 2 MiB delta base cache instead of git's 96 MiB
	// is faster for the walk (less memory to fault in: 0.29 against 0.34 s
	// on etcd's history, 16 MiB) and holds a fraction of the memory
	// (benchmarks/README.md).
	args := []string{"-c", "core.deltaBaseCacheLimit=2m", "rev-list", "--objects"}
	if lst.missing != nil {
		args = append(args, "--missing=print")
	} else {
		args = append(args, "--filter=object:type=blob")
	}
	args = append(append(args, "--stdin", "--"), paths...)
	var out io.ReadCloser
	p, err := g.start(ctx, args, func(cmd *exec.Cmd) error {
		cmd.Stdin = bytesReader(revs.stdin())
		var err error
		if out, err = cmd.StdoutPipe(); err != nil {
			return err
		}
		growPipe(out)
		return nil
	})
	return p, out, err
}

// feedCatFiles copies rev-list's "oid path" lines of blobs to the stdin of
// the cat-file processes (commit lines have no path and are dropped) and
// closes them. A path always goes to the same process, so each keeps the
// versions of its files together in its delta base cache. With missing
// set, it counts the "?oid" lines of missing objects.
func feedCatFiles(revOut io.Reader, catIns []io.WriteCloser, missing *atomic.Int64) error {
	in := bufio.NewReaderSize(revOut, 256<<10)
	ws := make([]*bufio.Writer, len(catIns))
	for i, c := range catIns {
		ws[i] = bufio.NewWriterSize(c, 256<<10)
	}
	for {
		line, err := in.ReadSlice('\n')
		if missing != nil && isMissingLine(line) {
			missing.Add(1)
		}
		if len(line) > 0 && isBlobLine(line) {
			w := ws[pathShard(line, len(ws))]
			if _, werr := w.Write(line); werr != nil {
				return fmt.Errorf("%w cat-file: write: %v", ErrGit, werr)
			}
			if line[len(line)-1] != '\n' {
				_ = w.WriteByte('\n')
			}
		}
		if err == bufio.ErrBufferFull {
			_, _ = in.ReadBytes('\n') // an absurd path: its object is still requested
			continue
		}
		if err != nil {
			break
		}
	}
	for i, w := range ws {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("%w cat-file: write: %v", ErrGit, err)
		}
		if err := catIns[i].Close(); err != nil {
			return fmt.Errorf("%w cat-file: close: %v", ErrGit, err)
		}
	}
	return nil
}

// pathShard picks one of n cat-file processes for a rev-list line
// "<oid> <path>\n" by an FNV-1a hash of its path.
func pathShard(line []byte, n int) int {
	if n == 1 {
		return 0
	}
	i := bytes.IndexByte(line, ' ')
	h := uint32(2166136261)
	for _, c := range bytes.TrimSuffix(line[i+1:], []byte{'\n'}) {
		h = (h ^ uint32(c)) * 16777619
	}
	return int(h % uint32(n))
}

// isBlobLine reports whether a rev-list line is "<hex oid> <path>".
func isBlobLine(line []byte) bool {
	i := 0
	for i < len(line) && isHex(line[i]) {
		i++
	}
	return (i == 40 || i == 64) && i < len(line) && line[i] == ' '
}

// isMissingLine reports whether a rev-list line is "?<hex oid>", a
// missing object (--missing=print).
func isMissingLine(line []byte) bool {
	if len(line) == 0 || line[0] != '?' {
		return false
	}
	line = bytes.TrimSuffix(line[1:], []byte{'\n'})
	return isObjectID(string(line))
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// Blobs go to the scanners in batches of up to batchBlobs blobs or
// batchBytes bytes: most blobs are a few KiB, which a scanner reads in
// about a microsecond, less than handing one over between goroutines
// costs (a wake-up, often a context switch).
const (
	batchBlobs = 128
	batchBytes = 1 << 20
)

// readObjects reads cat-file's output; blobs up to maxBlob go to the
// scanners in batches through the memory budget, larger ones are streamed
// here. Other objects (trees, tags: listed when missing objects are
// counted) are skipped. A missing object is counted in missing, or an
// error when missing is nil.
func readObjects(ctx context.Context, cat *catFile, bs blobScanner, maxBlob int64, b *budget.Bytes, pool *buffers, prog *HistoryStats, missing *atomic.Int64, blobs chan<- []blob, hits chan<- hit) error {
	var batch []blob
	var held int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case blobs <- batch:
			batch, held = nil, 0
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r := NewBatchReader(cat.out)
	for {
		// The next header may have to wait for git: hand the batch over
		// first. Its blobs hold budget that another reader (CatFiles > 1)
		// may be waiting for, while this one's cat-file waits for requests
		// the feeder cannot write until that reader drains its own.
		if !r.HeaderBuffered() {
			if err := flush(); err != nil {
				return err
			}
		}
		h, err := r.Next()
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
		switch {
		case h.Missing && missing != nil:
			missing.Add(1)
			continue
		case h.Missing:
			return fmt.Errorf("%w cat-file: object %s missing", ErrGit, h.OID)
		case h.Type != "blob":
			if err := r.Skip(h); err != nil {
				return err
			}
			continue
		}
		prog.add(h.Size)
		if h.Size > maxBlob {
			if err := streamBlob(ctx, r, h, bs, hits); err != nil {
				return err
			}
			continue
		}
		if !b.TryAcquire(h.Size) {
			// The batch held here must reach the scanners before
			// waiting for them to release memory.
			if err := flush(); err != nil {
				return err
			}
			if err := b.Acquire(ctx, h.Size); err != nil {
				return err
			}
		}
		buf := pool.get(h.Size)
		data, err := r.ReadBody(h, *buf)
		if err != nil {
			return err
		}
		*buf = data
		batch = append(batch, blob{oid: h.OID, path: h.Rest, data: data, buf: buf})
		if held += h.Size; len(batch) >= batchBlobs || held >= batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// streamBlob scans one large blob straight from the cat-file stream.
func streamBlob(ctx context.Context, r *BatchReader, h Header, bs blobScanner, hits chan<- hit) error {
	var ms []scanner.Match
	body := r.Body(h)
	err := bs.check(h.OID, h.Rest, bs.sc.ScanBlobReader(body, h.Rest, bs.archives, func(m scanner.Match) error { ms = append(ms, m); return nil }))
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return err
	}
	return sendHit(ctx, hits, hit{oid: h.OID, path: h.Rest, matches: ms})
}

// scanBlobs is one scanner worker.
func scanBlobs(ctx context.Context, bs blobScanner, b *budget.Bytes, pool *buffers, blobs <-chan []blob, hits chan<- hit) error {
	for batch := range blobs {
		for i, bl := range batch {
			var ms []scanner.Match
			err := bs.check(bl.oid, bl.path, bs.sc.ScanBlob(bl.data, bl.path, bs.archives, func(m scanner.Match) error { ms = append(ms, m); return nil }))
			b.Release(int64(len(bl.data)))
			pool.put(bl.buf)
			if err == nil {
				err = sendHit(ctx, hits, hit{oid: bl.oid, path: bl.path, matches: ms})
			}
			if err != nil {
				release(b, pool, batch[i+1:])
				return err
			}
		}
	}
	return nil
}

// release gives back the memory and buffers of blobs left unscanned.
func release(b *budget.Bytes, pool *buffers, rest []blob) {
	for _, bl := range rest {
		b.Release(int64(len(bl.data)))
		pool.put(bl.buf)
	}
}

func sendHit(ctx context.Context, hits chan<- hit, h hit) error {
	if len(h.matches) == 0 {
		return nil
	}
	select {
	case hits <- h:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
