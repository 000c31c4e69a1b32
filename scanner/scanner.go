package scanner

import (
	"bytes"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudflare/ahocorasick"
	"github.com/leakguard/leakguard/patterns"
)

// DefaultChunkSize is how many bytes Scan reads at a time unless Options
// says otherwise.
const DefaultChunkSize = 1 << 20

// AllowWindow bounds the inline-allow look-up: a marker counts when it lies
// on the match's line, within AllowWindow bytes before the token's start and
// AllowWindow bytes after its end.
const AllowWindow = 4096

// Inline-allow markers: a match whose line carries one is Allowed.
const (
	MarkerLeakguard = "leakguard:allow"
	MarkerGitleaks  = "gitleaks:allow"
)

// Options tune a Scanner. The zero value means the defaults.
type Options struct {
	// ChunkSize is how many fresh bytes Scan reads per round (default
	// DefaultChunkSize). Memory per running Scan is about ChunkSize +
	// 9*Catalog.MaxLen() + 2*AllowWindow, plus up to about ChunkSize for
	// decoding (decode.go).
	ChunkSize int
	// NoDecode turns the encoding layer off: tokens are looked for only as
	// they are written, not inside base64, hex, percent-encoding, escapes
	// or HTML references (decode.go).
	NoDecode bool
	// DecodeBudget bounds the bytes decoded per stream (default
	// DefaultDecodeBudget).
	DecodeBudget int64
}

// Scanner finds the valid tokens (checksum or structure) of a catalog. It is safe for
// concurrent use by any number of goroutines.
//
// How it works. Every prefix (and every signature of a prefix-less format,
// docs/token-format.md#signature-anchors) gets an anchor pair, two adjacent bytes of it
// (pairs.go): per region (chunk) one vectorised pass finds every place any
// anchor pair occurs, whatever the catalog's size. Without AVX2 every
// literal gets an anchor byte instead, few bytes serving many literals
// (chooseAnchors), and the engine runs bytes.IndexByte (SIMD) for each
// distinct anchor byte. Either way a hit passes two byte-table checks (the neighbours of
// the anchor) and then the Aho-Corasick automaton of every prefix runs over
// the few bytes around it, answering which prefixes occur there. A prefix
// counts only where its anchor sits exactly at the hit, so each occurrence
// is found once. When anchors are dense (more than one hit per 64 bytes,
// e.g. "____" runs), the region falls back to one automaton pass over the
// whole region to learn which prefixes occur and bytes.Index locates only
// those. Either way the tail after a prefix is the maximal run of the
// format's alphabet, which Format.ValidTail must accept (docs/token-format.md#boundaries).
//
// Concurrency. ahocorasick.Matcher.Match mutates per-node counters and is
// not safe for concurrent use; MatchThreadSafe is, but pays an atomic add on
// a shared counter and a pooled map per call. So each engine owns a private
// Matcher and engines are handed out from a free list (a buffered channel,
// not a sync.Pool, which every GC would empty and so rebuild automata and
// chunk buffers): one goroutine per engine at a time, no shared mutable
// state.
type Scanner struct {
	cat      *patterns.Catalog
	prefixes []prefixEntry // index = dictionary index of the automaton
	dict     [][]byte
	groups   []anchorGroup
	pairs    *pairIndex // nil: the pair path cannot serve this catalog
	maxLen   int        // longest token of the catalog
	maxPre   int        // longest reach of a literal from a token start: lead + len(lit)
	chunk    int
	allowWin int          // AllowWindow; tests shrink it
	mode     scanMode     // tests force one path
	pats     [3][]byte    // what the cursor seeks: newline and the two markers
	engines  chan *engine // free list, capacity engineSpare
	dec      *decoder     // the encoding layer; nil when off
}

type scanMode int

const (
	modeAuto   scanMode = iota
	modeAnchor          // the byte-anchor path, never fall back to the automaton
	modeAC              // always use the whole-region automaton
	modePair            // the pair path (scalar without SIMD), never fall back
)

// prefixEntry is one prefix of one format with its anchor, or the
// signature of a prefix-less format. lit is the literal the prefilter
// anchors on and the automaton finds: the prefix, or the signature (then p
// is "", the prefix a match reports). A signature stands leadMin..leadMax
// bytes after its token's start (0..0 for a prefix).
type prefixEntry struct {
	f                *patterns.Format
	p, lit           string
	sig              bool
	leadMin, leadMax int
	anchor           byte
	k                int // position of the anchor in lit
	pg, pk           int // pair path: group index and position of the pair in lit
}

// newEntries lists the catalog's prefixes and signatures.
func newEntries(c *patterns.Catalog) []prefixEntry {
	var out []prefixEntry
	for _, f := range c.Formats() {
		for _, p := range f.Prefixes {
			out = append(out, prefixEntry{f: f, p: p, lit: p})
		}
		if f.HasSignature() {
			pe := prefixEntry{f: f, lit: f.Signature.Text, sig: true}
			pe.leadMin, pe.leadMax = f.SignatureAt(f.TailMin()), f.SignatureAt(f.TailMax())
			out = append(out, pe)
		}
	}
	return out
}

// anchorGroup is the set of prefixes sharing one anchor byte, with the
// tables that reject most anchor hits before the automaton runs.
type anchorGroup struct {
	b          byte
	minK, maxK int // range of anchor positions within the literals
	reachLo    int // range of anchor positions from a token's start
	reachHi    int
	after      int // longest len(lit)-k: bytes from the anchor to a literal's end
	prevAny    bool
	prev       [256]bool // a byte that may precede the anchor
	next       [256]bool // a byte that may follow the anchor
}

// New returns a scanner for the catalog with default options.
func New(c *patterns.Catalog) *Scanner { return NewWithOptions(c, Options{}) }

// NewWithOptions returns a scanner for the catalog.
func NewWithOptions(c *patterns.Catalog, o Options) *Scanner {
	s := &Scanner{cat: c, chunk: o.ChunkSize, allowWin: AllowWindow, maxLen: c.MaxLen(),
		pats: [3][]byte{{'\n'}, []byte(MarkerLeakguard), []byte(MarkerGitleaks)}}
	if s.chunk <= 0 {
		s.chunk = DefaultChunkSize
	}
	s.prefixes = newEntries(c)
	for _, pe := range s.prefixes {
		s.dict = append(s.dict, []byte(pe.lit))
		s.maxPre = max(s.maxPre, pe.leadMax+len(pe.lit))
	}
	s.groups = chooseAnchors(s.prefixes)
	s.pairs = choosePairs(s.prefixes, haveSIMD())
	if !o.NoDecode && len(s.prefixes) > 0 {
		budget := o.DecodeBudget
		if budget <= 0 {
			budget = DefaultDecodeBudget
		}
		s.dec = decoderFor(s.prefixes, s.maxLen, budget, haveSIMD())
	}
	s.engines = make(chan *engine, engineSpare())
	return s
}

// Catalog returns the scanner's catalog.
func (s *Scanner) Catalog() *patterns.Catalog { return s.cat }

// ProblemText is what to tell of a part left unread at path (a damaged
// archive, a budget reached): "path: why" (err's text alone when it
// names the path), with any token of the catalog's formats redacted, as
// a file's or an archive entry's name may hold one.
func (s *Scanner) ProblemText(path string, err error) string {
	msg := err.Error()
	if !strings.Contains(msg, path) {
		msg = path + ": " + msg
	}
	return s.cat.RedactTokens(msg)
}

// ScanBytes calls fn for every token in data, in offset order. It stops at
// the first error fn returns and returns it.
func (s *Scanner) ScanBytes(data []byte, fn func(Match) error) error {
	if len(s.prefixes) == 0 {
		return nil
	}
	e := s.getEngine()
	defer s.putEngine(e)
	return e.scanBytes(data, fn)
}

// ScanRanges is ScanBytes over data[r[0]:r[1]] for each r of ranges, in
// turn, with one engine: each range is scanned as if it were the whole
// input (a match's Offset and Line count from the range's start), and fn
// is told the range's index. It is for many small pieces of one buffer,
// where taking an engine per piece would cost more than scanning it. A
// range's *DecodeBudgetError ends the scan.
func (s *Scanner) ScanRanges(data []byte, ranges [][2]int, fn func(i int, m Match) error) error {
	if len(s.prefixes) == 0 {
		return nil
	}
	e := s.getEngine()
	defer s.putEngine(e)
	for i, r := range ranges {
		if err := e.scanBytes(data[r[0]:r[1]], func(m Match) error { return fn(i, m) }); err != nil {
			return err
		}
	}
	return nil
}

// scanBytes is ScanBytes with e.
func (e *engine) scanBytes(data []byte, fn func(Match) error) error {
	e.reset()
	for from := 0; from < len(data); {
		to := min(from+e.s.chunk, len(data))
		e.scanRegion(data, from, to)
		if err := e.emit(data, 0, to, fn); err != nil {
			return err
		}
		from = to
	}
	return e.decodeErr()
}

// Scan reads r to the end in chunks of bounded size and calls fn for every
// token, in offset order, exactly once even when it straddles a chunk edge.
// Memory stays bounded whatever the input's size or line length. It stops
// at the first error fn returns and returns it.
func (s *Scanner) Scan(r io.Reader, fn func(Match) error) error {
	e := s.getEngine()
	defer s.putEngine(e)
	return e.scanStream(r, nil, fn)
}

// opener is offered the first bytes of a stream (scanStream).
type opener func(head []byte, rest io.Reader) (took bool, err error)

// scanOpen is Scan with an opener.
func (s *Scanner) scanOpen(r io.Reader, open opener, fn func(Match) error) error {
	e := s.getEngine()
	defer s.putEngine(e)
	return e.scanStream(r, open, fn)
}

// engine is the per-goroutine state of a scan: a private automaton and
// reusable buffers.
type engine struct {
	s      *Scanner
	ac     *ahocorasick.Matcher
	found  []hit
	buf    []byte
	pos    cursor
	base   int64       // absolute offset of the region buffer's first byte
	nested bool        // scans decoded bytes: no encoding layer of its own
	d      decodeState // the encoding layer
}

// hit is a valid token at buf[start:end] of prefix entry pe, or, when dec
// is not 0, the token e.d.toks[dec-1] found encoded at buf[start:end].
type hit struct {
	start, end int
	pe         int
	dec        int
}

// engineSpare is how many free engines a scanner keeps: one per core and
// two more, because callers often scan from more goroutines than cores (a
// history scan's pre-reader beside its walkers), and an engine dropped on
// return is rebuilt on the next call: an automaton (~800 KB) and decoding
// buffers grown again, fresh memory each time.
func engineSpare() int { return runtime.GOMAXPROCS(0) + 2 }

// keptDecodeBuffer is the largest decoding buffer (in elements) a free
// engine keeps.
const keptDecodeBuffer = 1 << 20

// getEngine takes a free engine or builds one.
func (s *Scanner) getEngine() *engine {
	select {
	case e := <-s.engines:
		return e
	default:
		return s.newEngine()
	}
}

// putEngine returns an engine to the free list, or drops it when the list
// is full.
func (s *Scanner) putEngine(e *engine) {
	e.found = e.found[:0]
	// An engine keeps its decoding buffers for the next input, but not
	// those a large one grew (a position table is 4 bytes a byte): a
	// long-running process keeps up to engineSpare engines.
	for i := range e.d.buf {
		if cap(e.d.buf[i]) > keptDecodeBuffer {
			e.d.buf[i] = nil
		}
		if cap(e.d.tab[i]) > keptDecodeBuffer {
			e.d.tab[i] = nil
		}
	}
	select {
	case s.engines <- e:
	default:
	}
}

func (s *Scanner) newEngine() *engine {
	e := &engine{s: s}
	if len(s.dict) > 0 {
		e.ac = ahocorasick.NewMatcher(s.dict)
	}
	return e
}

// scanRegion collects in e.found every valid token that starts in
// buf[from:to], sorted by offset with one token per offset. buf[to:] is
// look-ahead: either the rest of the input or at least maxLen+1 bytes.
func (e *engine) scanRegion(buf []byte, from, to int) {
	e.found = e.found[:0]
	if !e.scanFast(buf, from, to) {
		e.found = e.found[:0]
		e.scanAutomaton(buf, from, to)
	}
	if e.s.dec != nil && !e.nested {
		e.scanEncoded(buf, from, to)
	}
	e.sortFound()
}

// scanFast runs the pair path where it is vectorised (or forced) and the
// byte-anchor path otherwise; false means the automaton must do the work.
func (e *engine) scanFast(buf []byte, from, to int) bool {
	switch px := e.s.pairs; {
	case e.s.mode == modeAC:
		return false
	case px != nil && (e.s.mode == modePair || px.simd && e.s.mode == modeAuto):
		return e.scanPairs(buf, from, to)
	default:
		return e.scanAnchors(buf, from, to)
	}
}

// Costs of the anchor path in rough units of 5 ns, against which the
// whole-region automaton (about 1.5 ns a byte) is the alternative.
const (
	costHit    = 1 // an IndexByte restart and the neighbour tables
	costVerify = 6 // an automaton run over the window around a hit
)

// scanAnchors is the byte-anchor path. It returns false, leaving the work undone,
// when anchors are so dense that the whole-region automaton is cheaper.
func (e *engine) scanAnchors(buf []byte, from, to int) bool {
	budget := (to-from)/4 + 256
	for gi := range e.s.groups {
		g := &e.s.groups[gi]
		lo, hi := from+g.reachLo, min(to+g.reachHi, len(buf))
		for lo < hi {
			j := bytes.IndexByte(buf[lo:hi], g.b)
			if j < 0 {
				break
			}
			i := lo + j
			lo = i + 1
			budget -= costHit
			if (g.prevAny || i > 0 && g.prev[buf[i-1]]) && (i+1 >= len(buf) || g.next[buf[i+1]]) {
				budget -= costVerify
				e.verify(buf, i, g, from, to)
			}
			if budget < 0 && e.s.mode == modeAuto {
				return false
			}
		}
	}
	return true
}

// verify runs the automaton over the bytes around an anchor hit at i and
// keeps the literals whose anchor is exactly there.
func (e *engine) verify(buf []byte, i int, g *anchorGroup, from, to int) {
	ws, we := max(i-g.maxK, 0), min(i+g.after, len(buf))
	for _, idx := range e.ac.Match(buf[ws:we]) {
		pe := &e.s.prefixes[idx]
		start := i - pe.k
		if pe.anchor != g.b || start < ws ||
			start+len(pe.lit) > len(buf) || string(buf[start:start+len(pe.lit)]) != pe.lit {
			continue
		}
		e.try(buf, start, idx, from, to)
	}
}

// scanAutomaton is the dense path: one automaton pass says which literals
// occur in the region, bytes.Index finds each occurrence of those (a
// signature's, up to leadMax bytes past the region).
func (e *engine) scanAutomaton(buf []byte, from, to int) {
	hi := min(to+e.s.maxPre-1, len(buf))
	for _, idx := range e.ac.Match(buf[from:hi]) {
		p, pe := e.s.dict[idx], &e.s.prefixes[idx]
		for off := from + pe.leadMin; off < min(to+pe.leadMax, hi); {
			j := bytes.Index(buf[off:hi], p)
			if j < 0 || off+j >= to+pe.leadMax {
				break
			}
			e.try(buf, off+j, idx, from, to)
			off += j + 1
		}
	}
}

// try applies the boundary rule and the checksum or structure to the
// occurrence of entry idx's literal at start, keeping a token that starts
// in buf[from:to]. For a prefix, the tail is the maximal alphabet run
// (looked at up to one byte past TailMax); for a signature, the token is
// the maximal alphabet run around it (trySignature). Either way the
// padding, when it follows whole, is part of the token, and ValidTail must
// accept it.
func (e *engine) try(buf []byte, start, idx, from, to int) {
	pe := &e.s.prefixes[idx]
	if pe.sig {
		e.trySignature(buf, start, idx, from, to)
		return
	}
	if start < from || start >= to {
		return
	}
	f := pe.f
	ts := start + len(pe.p)
	end, lim := ts, min(len(buf), ts+f.TailMax()+1)
	for end < lim && f.InAlphabet(buf[end]) {
		end++
	}
	end = withPadding(f, buf, end)
	if f.ValidTail(pe.p, buf[ts:end]) {
		e.found = append(e.found, hit{start: start, end: end, pe: idx})
	}
}

// trySignature tries the signature at at: the token starts leadMin bytes
// before it (or, FromEnd, where the alphabet run through it starts), the
// byte before the token is not in the alphabet, and the run goes on to
// the right as for a prefix. The left scan stops at from: a token that
// starts before from belongs to an earlier region.
func (e *engine) trySignature(buf []byte, at, idx, from, to int) {
	pe := &e.s.prefixes[idx]
	f := pe.f
	start := at - pe.leadMin
	if f.Signature.FromEnd {
		floor := max(from, at+len(pe.lit)-f.TailMax())
		for start = at; start > floor && f.InAlphabet(buf[start-1]); start-- {
		}
	} else if start >= from {
		for k := start; k < at; k++ {
			if !f.InAlphabet(buf[k]) {
				return
			}
		}
	}
	if start < from || start >= to || start > 0 && f.InAlphabet(buf[start-1]) {
		return
	}
	end, lim := at+len(pe.lit), min(len(buf), start+f.TailMax()+1)
	for end < lim && f.InAlphabet(buf[end]) {
		end++
	}
	end = withPadding(f, buf, end)
	if f.ValidTail("", buf[start:end]) {
		e.found = append(e.found, hit{start: start, end: end, pe: idx})
	}
}

// withPadding is end moved past the format's padding when it follows whole.
func withPadding(f *patterns.Format, buf []byte, end int) int {
	if pad := f.Padding(); pad != "" && end+len(pad) <= len(buf) && string(buf[end:end+len(pad)]) == pad {
		return end + len(pad)
	}
	return end
}

// sortFound orders e.found as Reference does (offset, then format id, then
// prefix order) and keeps the first token per offset.
func (e *engine) sortFound() {
	if len(e.found) < 2 {
		return
	}
	slices.SortFunc(e.found, func(a, b hit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		if c := strings.Compare(e.s.prefixes[a.pe].f.ID, e.s.prefixes[b.pe].f.ID); c != 0 {
			return c
		}
		if a.pe != b.pe {
			return a.pe - b.pe
		}
		return a.dec - b.dec // the plain token before an encoded one
	})
	out := e.found[:1]
	for _, h := range e.found[1:] {
		if h.start != out[len(out)-1].start {
			out = append(out, h)
		}
	}
	e.found = out
}

// sourceByteOrder lists printable ASCII from most to least frequent in
// source code (measured over Go's own src tree); tab and newline count as
// most frequent, every other byte as rarer than all of these.
const sourceByteOrder = " etrnaiso0,lcuxfd.p1)(/m\"g:2=h_S{b}y4vA6TE3RIOC8PDXMk5FwLN7V9[B]U*-G\\H!W&<%+z|;YKq>'jQ`ZJ#^$?~@"

// anchorPassPPM is what one more anchor byte (one more IndexByte pass per
// region) costs, in anchor hits per million bytes: a pass reads memory at
// ~20 GB/s, a hit restarts it for ~8 ns.
const anchorPassPPM = 6000

func byteRank(c byte) int {
	if c == '\t' || c == '\n' {
		return 0
	}
	if i := strings.IndexByte(sourceByteOrder, c); i >= 0 {
		return i
	}
	return len(sourceByteOrder)
}

// chooseAnchors picks the anchor bytes by greedy set cover: repeatedly the
// byte whose estimated cost (its frequency in source text, bytePPM, plus a
// pass, anchorPassPPM) per literal it anchors is lowest, among the literals
// not yet anchored (ties: the smaller byte). Each literal anchors on the
// first occurrence of its byte, and there is one group per anchor byte.
// So literals share anchors where that saves passes: the ten BIP-32
// prefixes share 'v', the Microsoft signatures and "ATATT3" share 'A'.
func chooseAnchors(pes []prefixEntry) []anchorGroup {
	var groups []anchorGroup
	left := make([]int, len(pes))
	for i := range left {
		left[i] = i
	}
	for len(left) > 0 {
		var count [256]int
		for _, i := range left {
			var seen [256]bool
			for k := 0; k < len(pes[i].lit); k++ {
				if c := pes[i].lit[k]; !seen[c] {
					seen[c] = true
					count[c]++
				}
			}
		}
		best, bestCost := 0, math.Inf(1)
		for c := range 256 {
			if count[c] == 0 {
				continue
			}
			if cost := (bytePPM(byte(c)) + anchorPassPPM) / float64(count[c]); cost < bestCost {
				best, bestCost = c, cost
			}
		}
		b := byte(best)
		groups = append(groups, anchorGroup{b: b, minK: math.MaxInt, reachLo: math.MaxInt})
		g := &groups[len(groups)-1]
		rest := left[:0]
		for _, i := range left {
			pe := &pes[i]
			k := strings.IndexByte(pe.lit, b)
			if k < 0 {
				rest = append(rest, i)
				continue
			}
			pe.anchor, pe.k = b, k
			g.add(pe)
		}
		left = rest
	}
	return groups
}

// add widens the group's ranges and tables for one literal.
func (g *anchorGroup) add(pe *prefixEntry) {
	g.minK, g.maxK = min(g.minK, pe.k), max(g.maxK, pe.k)
	g.reachLo, g.reachHi = min(g.reachLo, pe.leadMin+pe.k), max(g.reachHi, pe.leadMax+pe.k)
	g.after = max(g.after, len(pe.lit)-pe.k)
	if pe.k == 0 {
		g.prevAny = true
	} else {
		g.prev[pe.lit[pe.k-1]] = true
	}
	if pe.k+1 < len(pe.lit) {
		g.next[pe.lit[pe.k+1]] = true
		return
	}
	for c := 0; c < 256; c++ {
		if pe.f.InAlphabet(byte(c)) || pe.f.TailMin() == 0 {
			g.next[c] = true
		}
	}
}

// describeAnchors lists the anchor groups for benchmarks and tests.
func (s *Scanner) describeAnchors() string {
	var b strings.Builder
	b.WriteString("bytes")
	for _, g := range s.groups {
		b.WriteString(" " + strconv.Quote(string(g.b)))
	}
	if s.pairs != nil {
		b.WriteString("; pairs (simd " + strconv.FormatBool(s.pairs.simd) + ")")
		for _, g := range s.pairs.groups {
			b.WriteString(" " + strconv.Quote(string([]byte{g.a, g.b})))
		}
	}
	return b.String()
}
