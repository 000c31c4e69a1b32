package gitsource

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
	"github.com/leakguard/leakguard/scanner/gitsource/gitpack"
)

// The pack walk (docs/git-history.md#pack-walk) reads the blobs of a
// history scan from the repository's pack files itself instead of through
// `git cat-file`: every delta tree is walked from its base once, each
// object rebuilt from its base in memory, and a blob made by a delta is
// scanned only where the delta changed it. The rest of its matches are
// its base's, moved to where the delta copied them.
//
// Why that is the same as scanning the whole blob: whether the scanner
// finds a token, and how it reports it, depends only on the line that
// holds it (docs/findings.md#lines): a token, an encoded run and an
// inline-allow marker never span a newline, and columns count from the
// line's start. So a line of the blob that the delta copied whole from
// its base — with the newline before it (or the start of both objects)
// and its own newline (or the end of both) — has exactly the matches that
// line has in the base; every other line is scanned. Archives (whose
// matches are not line-bound), blobs whose base is one, and blobs whose
// base's scan was cut short by the decoding budget are scanned whole.
//
// Anything the walk cannot do is left to cat-file, never skipped: an
// object not in a pack (loose, or in an alternate), a delta whose base is
// in another pack, a blob larger than HistoryOptions.MaxBlob, a delta
// chain deeper than maxChain or whose ancestors would hold more than the
// walk's memory, and any object the walk could not read (cat-file then
// reads it, or reports git's own error).

// defaultMinClean is the shortest run of copied lines whose matches are
// moved from the base rather than scanned: scanning a few hundred bytes
// costs less than starting and ending a range of the scan around them.
const defaultMinClean = 256

// maxChain bounds a delta chain (git's own limit is 4095).
const maxChain = 4096

// packWalker reads blobs from the packs of one repository.
type packWalker struct {
	packs   []*gitpack.Pack
	hashLen int
	bs      blobScanner
	maxBlob int64 // larger blobs go to cat-file (streamed)
	hold    int64 // bytes of rebuilt bases the walk may keep for their deltas
	held    atomic.Int64
	workers int
	// preDrain makes the plan wait for its pre-reader to read every root
	// (tests); otherwise the pre-reader stops when the plan does.
	preDrain bool
	// minClean is the shortest run of copied lines whose matches are
	// moved rather than scanned (defaultMinClean; tests lower it).
	minClean int
	prog     *HistoryStats
	pool     buffers
}

// pwNode is one pack entry the walk needs: a wanted blob, or a base of
// one.
type pwNode struct {
	pack     *gitpack.Pack
	obj      gitpack.Object
	children []*pwNode
	want     []wanted // rev-list lines naming this object
	needed   bool     // it, or something below it, is wanted
	done     bool     // its wanted blobs were scanned or handed back
	// pre is a root read and scanned while rev-list was still listing
	// (preRead), its content counted in packWalker.held; nil for others.
	pre *parentState
}

// wanted is one rev-list line: a blob and the path it was listed at.
type wanted struct {
	line []byte // "<oid> <path>\n", as rev-list printed it
	oid  string
	path string
}

// openPackWalker opens the packs of g's repository; nil when it has none
// usable (the caller then reads every blob through cat-file).
func openPackWalker(ctx context.Context, g Git, o HistoryOptions, bs blobScanner, prog *HistoryStats) (*packWalker, error) {
	out, err := g.Output(ctx, nil, "rev-parse", "--show-object-format", "--git-path", "objects")
	if err != nil {
		return nil, err
	}
	f := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(f) != 2 {
		return nil, fmt.Errorf("%w rev-parse: unexpected answer %q", ErrGit, out)
	}
	hashLen := map[string]int{"sha1": 20, "sha256": 32}[f[0]]
	if hashLen == 0 {
		return nil, nil
	}
	dir := f[1]
	if !filepath.IsAbs(dir) && g.Dir != "" {
		dir = filepath.Join(g.Dir, dir)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "pack", "*.pack"))
	w := &packWalker{hashLen: hashLen, bs: bs, maxBlob: o.MaxBlob,
		hold: max(2*o.MaxMemory, 64<<20) * int64(max(1, o.Workers)), workers: o.Workers, minClean: defaultMinClean, prog: prog}
	w.pool.keep = w.hold
	// Buffers beyond the arena come from the heap; it is bounded so that
	// an address-space limit (ulimit -v) leaves room for the heap.
	w.pool.mem = newArena(min(w.hold+64<<20, 1<<30))
	for _, name := range names {
		p, err := gitpack.Open(name, hashLen)
		if err != nil {
			// A pack we cannot read is cat-file's to read (or to
			// report): its objects are simply not found here.
			continue
		}
		w.packs = append(w.packs, p)
	}
	if len(w.packs) == 0 {
		return nil, nil
	}
	return w, nil
}

// close unmaps the packs.
func (w *packWalker) close() {
	w.pool.mem.release()
	for _, p := range w.packs {
		_ = p.Close()
	}
}

// plan finds the wanted blobs of rev-list's output in the packs as it
// comes (while rev-list still walks the history) and builds their delta
// trees. It returns the trees' roots, in pack order, the nodes of wanted
// blobs, and the lines of the blobs not in a pack, left to cat-file.
// With missing set, it counts the lines of missing objects.
func (w *packWalker) plan(revOut io.Reader, missing *atomic.Int64) (roots, wants []*pwNode, rest []byte, err error) {
	// Sized for a range of a fair part of each pack's history, up to
	// 65,536 entries (1.5 MB; a push to a huge repository must not pay
	// for more): growing a map of tens of thousands of entries step by
	// step costs more than the look-ups.
	nodes := make([]map[int64]*pwNode, len(w.packs))
	for i, p := range w.packs {
		nodes[i] = make(map[int64]*pwNode, min(p.Len()/4, 1<<16))
	}
	var slab []pwNode // nodes are allocated a few hundred at a time
	packIndex := make(map[*gitpack.Pack]int, len(w.packs))
	for i, p := range w.packs {
		packIndex[p] = i
	}
	pre := w.startPreRead()
	defer pre.finish()
	get := func(p *gitpack.Pack, off int64) (*pwNode, error) {
		m := nodes[packIndex[p]]
		if n := m[off]; n != nil {
			return n, nil
		}
		obj, err := p.Object(off)
		if err != nil {
			return nil, err
		}
		if len(slab) == 0 {
			slab = make([]pwNode, 256)
		}
		n := &slab[0]
		slab = slab[1:]
		n.pack, n.obj = p, obj
		m[off] = n
		return n, nil
	}
	raw := make([]byte, w.hashLen)
	in := bufio.NewReaderSize(revOut, 256<<10)
	var lines []byte // where kept lines are copied: wanted.line points into it
	for {
		line, rerr := in.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull { // a path longer than the buffer
			line = slices.Clone(line) // before the buffer is read into again
			var more []byte
			more, rerr = in.ReadBytes('\n')
			line = append(line, more...)
		}
		if rerr != nil && rerr != io.EOF {
			return nil, nil, nil, rerr
		}
		if len(line) == 0 { // the end
			break
		}
		if missing != nil && isMissingLine(line) {
			missing.Add(1)
		}
		if !isBlobLine(line) {
			continue
		}
		if cap(lines)-len(lines) < len(line)+1 {
			lines = make([]byte, 0, max(1<<20, len(line)+1))
		}
		start := len(lines)
		lines = append(lines, line...)
		if line[len(line)-1] != '\n' {
			lines = append(lines, '\n')
		}
		line = lines[start:len(lines):len(lines)]
		sp := bytes.IndexByte(line, ' ')
		if sp != 2*w.hashLen {
			rest = append(rest, line...)
			continue
		}
		if _, err := hex.Decode(raw, line[:sp]); err != nil {
			rest = append(rest, line...)
			continue
		}
		var node *pwNode
		var err error
		for _, p := range w.packs {
			if off, ok := p.Find(raw); ok {
				if node, err = get(p, off); err != nil {
					node = nil
				}
				break
			}
		}
		if node == nil {
			rest = append(rest, line...)
			continue
		}
		if len(node.want) == 0 {
			wants = append(wants, node)
		}
		node.want = append(node.want, wanted{line: line, oid: string(line[:sp]),
			path: string(bytes.TrimSuffix(line[sp+1:], []byte{'\n'}))})
		// Climb to the root, linking each entry under its base, until an
		// entry already linked.
		for n, depth := node, 0; !n.needed; depth++ {
			n.needed = true
			if n.obj.Type != gitpack.OfsDelta && n.obj.Type != gitpack.RefDelta {
				roots = append(roots, n)
				pre.offer(n)
				break
			}
			if depth >= maxChain {
				break // not linked: handed back below
			}
			var base *pwNode
			switch n.obj.Type {
			case gitpack.OfsDelta:
				base, err = get(n.pack, n.obj.Base)
			case gitpack.RefDelta:
				if off, ok := n.pack.Find(n.obj.BaseOID); ok {
					base, err = get(n.pack, off)
				}
			}
			if err != nil || base == nil {
				break // a base elsewhere, or unreadable: handed back below
			}
			base.children = append(base.children, n)
			n = base
		}
	}
	slices.SortFunc(roots, func(a, b *pwNode) int {
		if a.pack != b.pack {
			return packIndex[a.pack] - packIndex[b.pack]
		}
		return int(a.obj.Offset - b.obj.Offset)
	})
	return roots, wants, rest, nil
}

// preRead reads and scans roots while rev-list is still listing, on
// the core rev-list leaves idle: a root found by the plan is needed by
// the walk whatever comes later, and reading it then is most of a small
// tree's work. It takes roots while the plan runs and stops with it;
// what it has not read, the walk reads. It leaves to the walk what needs
// more than a plain scan (archives, blobs over MaxBlob, a scan error),
// and holds at most half the walk's memory.
type preRead struct {
	w     *packWalker
	pw    pwWorker // for rebuild
	nodes chan *pwNode
	stop  atomic.Bool
	done  chan struct{}
	drain bool // finish waits for every root offered (tests)
}

func (w *packWalker) startPreRead() *preRead {
	p := &preRead{w: w, pw: pwWorker{w: w}, nodes: make(chan *pwNode, 4096), done: make(chan struct{}), drain: w.preDrain}
	go func() {
		defer close(p.done)
		for n := range p.nodes {
			if !p.stop.Load() {
				p.read(n)
			}
		}
	}()
	return p
}

// offer hands root n to the reader, unless it is busy with many.
func (p *preRead) offer(n *pwNode) {
	select {
	case p.nodes <- n:
	default:
	}
}

// finish stops the reader (after every offered root, with drain) and
// waits for it: the walk then owns every node.
func (p *preRead) finish() {
	if !p.drain {
		p.stop.Store(true)
	}
	close(p.nodes)
	<-p.done
}

// read rebuilds and scans root n as the walk would (scanWhole, without
// its reports: it reads no n.want, which the plan may still add to) and
// keeps the result in n.pre. Its memory is counted by the buffer's size,
// not the blob's: a pooled buffer is up to four times the blob.
func (p *preRead) read(n *pwNode) {
	w := p.w
	if w.held.Load()+n.obj.Size > w.hold/2 {
		return
	}
	data, _, buf, err := p.pw.rebuild(n, nil)
	if err != nil {
		return
	}
	if w.bs.isArchive(data) { // left to the walk, which reports what it cannot open
		w.pool.put(buf)
		return
	}
	ms, err := w.bs.scanAll(data, "") // a path matters only to archives
	if err != nil {
		w.pool.put(buf)
		return
	}
	st := &parentState{data: data, matches: ms, buf: buf, held: int64(cap(*buf))}
	st.refs.Store(1)
	w.held.Add(st.held)
	n.pre = st
}

// walk scans the wanted blobs under roots with w.workers goroutines,
// sending their hits, and returns the lines of those it could not read,
// for cat-file: wants is every wanted node, to find those no walk reached
// (a chain with a base elsewhere, too deep, or a cycle of deltas naming
// each other).
//
// A worker walks a tree depth first. While another worker is idle, it
// hands it the other children of the node it is at (their base stays in
// memory until the last of them is done), so that one large tree — the
// versions of one much-edited file — is not one worker's alone.
func (w *packWalker) walk(ctx context.Context, roots, wants []*pwNode, hits chan<- hit) ([]byte, error) {
	q := newWalkQueue(roots)
	var mu sync.Mutex
	var rest []wanted
	var firstErr error
	var wg sync.WaitGroup
	for range max(1, w.workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := pwWorker{w: w, q: q}
			for {
				t, ok := q.pop()
				if !ok {
					break
				}
				mu.Lock()
				failed := firstErr != nil
				mu.Unlock()
				if !failed {
					if err := pw.visit(ctx, t.n, t.parent, hits); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}
				}
				if t.parent != nil {
					w.release(t.parent)
				}
				q.done()
			}
			mu.Lock()
			rest = append(rest, pw.rest...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lines []byte
	for _, wt := range rest {
		lines = append(lines, wt.line...)
	}
	for _, n := range wants {
		if !n.done {
			for _, wt := range n.want {
				lines = append(lines, wt.line...)
			}
		}
	}
	return lines, nil
}

// walkTask is a node to visit, with its base's state (nil for a root).
type walkTask struct {
	n      *pwNode
	parent *parentState
}

// walkQueue holds the tasks no worker has taken, last in first out.
type walkQueue struct {
	mu    sync.Mutex
	cond  sync.Cond
	tasks []walkTask
	busy  int          // tasks taken and not done: they may add more
	idle  atomic.Int32 // workers waiting for a task
}

func newWalkQueue(roots []*pwNode) *walkQueue {
	q := &walkQueue{tasks: make([]walkTask, len(roots))}
	q.cond.L = &q.mu
	for i, r := range roots { // the first root is taken first
		q.tasks[len(roots)-1-i] = walkTask{n: r}
	}
	return q
}

// pop takes a task, waiting while none is left but some may still come;
// false when the walk is over.
func (q *walkQueue) pop() (walkTask, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.tasks) == 0 {
		if q.busy == 0 {
			return walkTask{}, false
		}
		q.idle.Add(1)
		q.cond.Wait()
		q.idle.Add(-1)
	}
	t := q.tasks[len(q.tasks)-1]
	q.tasks = q.tasks[:len(q.tasks)-1]
	q.busy++
	return t, true
}

// done ends a task taken by pop.
func (q *walkQueue) done() {
	q.mu.Lock()
	q.busy--
	if q.busy == 0 && len(q.tasks) == 0 {
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

// push adds a task for an idle worker.
func (q *walkQueue) push(t walkTask) {
	q.mu.Lock()
	q.tasks = append(q.tasks, t)
	q.cond.Signal()
	q.mu.Unlock()
}

// pwWorker is one goroutine of the walk.
type pwWorker struct {
	w     *packWalker
	q     *walkQueue
	delta []byte // the current delta's data
	rest  []wanted
	segs  []segment
	dirty [][2]int // the current blob's lines to scan
}

// parentState is what a node's children need of it.
type parentState struct {
	data    []byte
	matches []scanner.Match // sorted by Offset
	whole   bool            // its children must be scanned whole
	buf     *[]byte         // the pooled buffer data is in
	refs    atomic.Int32    // visits using data: its own, and its children's handed to other workers
	held    int64           // bytes counted in packWalker.held while its children use data
}

// release drops one use of st's data, and the data with the last.
func (w *packWalker) release(st *parentState) {
	if st.refs.Add(-1) == 0 {
		w.held.Add(-st.held)
		w.pool.put(st.buf)
	}
}

// segment is a delta's copy: n bytes at at came from the base's from.
type segment struct{ at, from, n int }

// visit rebuilds n from its parent's content (or inflates it, for a
// root), scans it, reports its wanted blobs, and visits its children,
// or hands some of them to idle workers. Errors other than the
// context's or emitting's hand n's subtree back.
func (pw *pwWorker) visit(ctx context.Context, n *pwNode, parent *parentState, hits chan<- hit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := pw.w
	st := n.pre // a root read while rev-list listed, its memory already counted
	n.pre = nil
	if st == nil {
		data, segs, buf, err := pw.rebuild(n, parent)
		if err != nil {
			pw.handBack(n)
			return nil
		}
		st = &parentState{data: data, buf: buf}
		st.refs.Store(1)
		if err := pw.scan(n, parent, st, segs); err != nil {
			w.release(st)
			return err
		}
	}
	defer w.release(st)
	data := st.data
	for _, wt := range n.want {
		w.prog.add(int64(len(data)))
		if err := sendHit(ctx, hits, hit{oid: wt.oid, path: wt.path, matches: st.matches}); err != nil {
			return err
		}
	}
	n.done = true
	kids := slices.DeleteFunc(n.children, func(c *pwNode) bool { return !c.needed })
	if len(kids) == 0 {
		return nil
	}
	if st.held == 0 { // a pre-read root's is counted already
		if w.held.Add(int64(len(data))) > w.hold {
			w.held.Add(-int64(len(data)))
			for _, c := range kids {
				pw.handBack(c)
			}
			return nil
		}
		st.held = int64(len(data))
	}
	slices.SortFunc(kids, func(a, b *pwNode) int { return int(a.obj.Offset - b.obj.Offset) })
	for i, c := range kids {
		if i < len(kids)-1 && pw.q.idle.Load() > 0 {
			st.refs.Add(1)
			pw.q.push(walkTask{n: c, parent: st})
			continue
		}
		if err := pw.visit(ctx, c, st, hits); err != nil {
			return err
		}
	}
	return nil
}

// rebuild returns n's content in a pooled buffer, with, for a delta, its
// copies merged where they continue each other. A blob above maxBlob, a
// root that is not a blob, and any read failure are errors.
func (pw *pwWorker) rebuild(n *pwNode, parent *parentState) (data []byte, segs []segment, buf *[]byte, err error) {
	w := pw.w
	if parent == nil {
		if n.obj.Type != gitpack.Blob {
			return nil, nil, nil, errors.New("not a blob")
		}
		buf = w.pool.get(n.obj.Size)
		data, err = n.pack.Inflate(n.obj, *buf, w.maxBlob)
		if err != nil {
			w.pool.put(buf)
			return nil, nil, nil, err
		}
		return data, nil, buf, nil
	}
	pw.delta, err = n.pack.Inflate(n.obj, pw.delta, w.maxBlob+w.maxBlob/2+1<<16)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := gitpack.ParseDelta(pw.delta)
	if err != nil {
		return nil, nil, nil, err
	}
	if d.Size > w.maxBlob {
		return nil, nil, nil, gitpack.ErrTooLarge
	}
	buf = w.pool.get(d.Size)
	segs = pw.segs[:0]
	data, err = d.Apply(parent.data, *buf, func(at, from, n int) {
		if k := len(segs) - 1; k >= 0 && segs[k].at+segs[k].n == at && segs[k].from+segs[k].n == from {
			segs[k].n += n
			return
		}
		segs = append(segs, segment{at: at, from: from, n: n})
	})
	pw.segs = segs
	if err != nil {
		w.pool.put(buf)
		return nil, nil, nil, err
	}
	return data, segs, buf, nil
}

// handBack leaves n's wanted blobs, and those below it, to cat-file.
func (pw *pwWorker) handBack(n *pwNode) {
	stack := []*pwNode{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !n.done {
			pw.rest = append(pw.rest, n.want...)
			n.done = true
		}
		stack = append(stack, n.children...)
	}
}

// scan sets st.matches (and st.whole) for n, whose content is st.data:
// whole, for a root, an archive, or a child of a parent that must not be
// inherited from; else its base's matches on the lines the delta copied
// and a scan of the others.
func (pw *pwWorker) scan(n *pwNode, parent *parentState, st *parentState, segs []segment) error {
	bs := pw.w.bs
	path := ""
	if len(n.want) > 0 {
		path = n.want[0].path
	}
	isArchive := bs.isArchive(st.data)
	if parent == nil || parent.whole || isArchive {
		return pw.scanWhole(n, path, st, isArchive)
	}
	// The lines the delta did not copy whole are scanned (in one go:
	// there are many small ones), the base's matches on the others moved.
	dirty := pw.dirty[:0]
	var ms []scanner.Match
	pos := 0 // st.data[:pos] is placed
	for _, s := range segs {
		start, end := cleanLines(st.data, len(parent.data), s)
		if end-start < max(pw.w.minClean, 1) {
			continue // scanned with the lines around it
		}
		if pos < start {
			dirty = append(dirty, [2]int{pos, start})
		}
		lo, hi := int64(s.from+(start-s.at)), int64(s.from+(end-s.at))
		i, _ := slices.BinarySearchFunc(parent.matches, lo, func(m scanner.Match, off int64) int {
			return cmp.Compare(m.Offset, off)
		})
		for ; i < len(parent.matches) && parent.matches[i].Offset < hi; i++ {
			m := parent.matches[i]
			m.Offset += int64(s.at - s.from)
			ms = append(ms, m)
		}
		pos = end
	}
	if pos < len(st.data) {
		dirty = append(dirty, [2]int{pos, len(st.data)})
	}
	pw.dirty = dirty
	err := bs.sc.ScanRanges(st.data, dirty, func(i int, m scanner.Match) error {
		m.Offset += int64(dirty[i][0])
		ms = append(ms, m)
		return nil
	})
	if err != nil {
		return pw.scanWhole(n, path, st, false)
	}
	if len(ms) > 0 {
		slices.SortStableFunc(ms, func(a, b scanner.Match) int { return cmp.Compare(a.Offset, b.Offset) })
		lines := lineCounter{data: st.data}
		for i := range ms {
			ms[i].Line = lines.line(int(ms[i].Offset))
		}
	}
	st.matches = ms
	return nil
}

// scanWhole scans n's content whole, as the cat-file path does. Its
// children are scanned whole too when it is an archive or its scan was
// cut short (its matches are then not all its lines').
func (pw *pwWorker) scanWhole(n *pwNode, path string, st *parentState, isArchive bool) error {
	bs := pw.w.bs
	ms, err := bs.scanAll(st.data, path)
	st.matches, st.whole = ms, isArchive || err != nil
	if err != nil && len(n.want) > 0 {
		return bs.check(n.want[0].oid, path, err)
	}
	// A base no one asked for: over bytes in memory, with an emit that
	// never fails, ScanBlob's only errors are problems of what the blob
	// holds, which its wanted descendants' own whole scans report.
	return nil
}

// isArchive reports whether data is an archive the scan opens.
func (bs blobScanner) isArchive(data []byte) bool {
	return bs.archives != nil && archive.Detect(data[:min(len(data), archive.HeadLen)]) != archive.None
}

// scanAll scans data whole (opening it when it is an archive) and
// returns its matches sorted by offset.
func (bs blobScanner) scanAll(data []byte, path string) ([]scanner.Match, error) {
	var ms []scanner.Match
	err := bs.sc.ScanBlob(data, path, bs.archives, func(m scanner.Match) error { ms = append(ms, m); return nil })
	slices.SortStableFunc(ms, func(a, b scanner.Match) int { return cmp.Compare(a.Offset, b.Offset) })
	return ms, err
}

// cleanLines returns the part [start, end) of data made of whole lines
// that the copy s took whole from its base (of baseLen bytes), with the
// newline before each (or the start of both objects) and its own (or the
// end of both): those lines are the base's lines. start == end: none.
func cleanLines(data []byte, baseLen int, s segment) (start, end int) {
	a, b := s.at, s.at+s.n
	if a == 0 && s.from == 0 {
		start = 0
	} else {
		i := bytes.IndexByte(data[a:b], '\n')
		if i < 0 {
			return 0, 0
		}
		start = a + i + 1
	}
	if b == len(data) && s.from+s.n == baseLen {
		end = b
	} else {
		i := bytes.LastIndexByte(data[a:b], '\n')
		if i < 0 {
			return 0, 0
		}
		end = a + i + 1
	}
	return start, end
}

// lineCounter answers the 1-based line of offsets in data, counting
// newlines only as far as asked, and only once for increasing offsets.
type lineCounter struct {
	data  []byte
	pos   int // newlines before pos are counted
	count int
}

func (l *lineCounter) line(off int) int {
	if off < l.pos {
		l.pos, l.count = 0, 0
	}
	l.count += bytes.Count(l.data[l.pos:off], []byte{'\n'})
	l.pos = off
	return l.count + 1
}
