package scanner

import (
	"cmp"
	"math"
	"slices"
)

// The pair path. Every prefix gets an anchor pair: two adjacent bytes of it
// (preferably a pair other prefixes share, e.g. "rv" for all ten BIP-32
// prefixes). One vectorised pass per region (indexPairsSIMD, a Teddy-style
// nibble-table search: per 32 bytes two loads and ~16 vector instructions
// whatever the number of pairs) finds every place where any anchor pair
// occurs, however common each byte is alone; two byte tables (the bytes
// before and after the pair) reject most of those, and the Aho-Corasick
// automaton runs only over the bytes around the rest. The search has 8
// buckets: up to 8 pairs it is exact, beyond that pairs share buckets
// chosen to add the fewest false candidates (assignBuckets), which the
// search drops inside its loop against the set of pairs.

// maxPairs bounds the distinct anchor pairs of the pair path; a catalog
// needing more uses the byte-anchor path.
const maxPairs = 16

// pairMaxPPM is how common (in parts per million of source text, estimated)
// an anchor pair may be before a rarer, unshared one is preferred.
const pairMaxPPM = 1000

// pairGroup is the set of literals (prefixes and signatures) sharing one
// anchor pair, with the tables that reject most pair hits before the
// automaton runs.
type pairGroup struct {
	a, b       byte
	minK, maxK int // range of pair positions within the literals
	after      int // longest len(p)-k
	prevAny    bool
	prev       [256]bool // a byte that may precede the pair
	next       [256]bool // a byte that may follow the pair
}

// pairIndex is the pair path's search state, shared read-only by engines.
type pairIndex struct {
	groups     []pairGroup
	minK, maxK int // range of pair positions from a token's start
	simd       bool
	nib        [4][32]byte     // nibble → bucket tables of indexPairsAVX2
	bits       [1 << 10]uint64 // pair (a<<8|b) present, for the scalar tail
}

// nibBuckets is how many buckets the nibble tables have (bits of a byte).
const nibBuckets = 8

// addNibbles enters pair pr into the nibble tables, in bucket b.
func (px *pairIndex) addNibbles(b int, pr [2]byte) {
	bit := byte(1) << b
	for lane := 0; lane < 32; lane += 16 {
		px.nib[0][lane+int(pr[0]&15)] |= bit
		px.nib[1][lane+int(pr[0]>>4)] |= bit
		px.nib[2][lane+int(pr[1]&15)] |= bit
		px.nib[3][lane+int(pr[1]>>4)] |= bit
	}
}

// nibSet is a bucket of the nibble tables: the nibbles its pairs have at
// each of the four places (low and high of the first byte, of the second).
type nibSet [4]uint16

func nibSetOf(pr [2]byte) nibSet {
	return nibSet{1 << (pr[0] & 15), 1 << (pr[0] >> 4), 1 << (pr[1] & 15), 1 << (pr[1] >> 4)}
}

func (a nibSet) union(b nibSet) nibSet {
	return nibSet{a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3]}
}

// falsePPM estimates how often a bucket with nibble sets n reports a
// candidate that is no anchor pair: the summed falsePairPPM of every pair
// its sets accept beyond the anchor pairs (bits, as in pairIndex.bits).
func (n nibSet) falsePPM(bits *[1 << 10]uint64) float64 {
	sum := 0.0
	for l0 := range 16 {
		for h0 := range 16 {
			if n[0]&(1<<l0) == 0 || n[1]&(1<<h0) == 0 {
				continue
			}
			for l1 := range 16 {
				for h1 := range 16 {
					if n[2]&(1<<l1) == 0 || n[3]&(1<<h1) == 0 {
						continue
					}
					a, b := byte(h0<<4|l0), byte(h1<<4|l1)
					if k := uint(a)<<8 | uint(b); bits[k>>6]&(1<<(k&63)) == 0 {
						sum += falsePairPPM(a, b)
					}
				}
			}
		}
	}
	return sum
}

// assignBuckets fills the nibble tables: one pair per bucket while there
// are at most nibBuckets pairs, which makes the vectorised search exact.
// Beyond, it merges buckets two at a time, each time the two whose union
// accepts the fewest extra (estimated) non-pairs: "gh" and "gl" share a
// bucket for free, since its nibble sets accept just those two pairs.
func (px *pairIndex) assignBuckets() {
	type bucket struct {
		set    nibSet
		groups []int
	}
	var bs []bucket
	for gi, g := range px.groups {
		bs = append(bs, bucket{nibSetOf([2]byte{g.a, g.b}), []int{gi}})
	}
	for len(bs) > nibBuckets {
		bi, bj, best := 0, 1, math.Inf(1)
		for i := range bs {
			for j := i + 1; j < len(bs); j++ {
				u := bs[i].set.union(bs[j].set)
				cost := u.falsePPM(&px.bits) - bs[i].set.falsePPM(&px.bits) - bs[j].set.falsePPM(&px.bits)
				if cost < best {
					bi, bj, best = i, j, cost
				}
			}
		}
		bs[bi].set = bs[bi].set.union(bs[bj].set)
		bs[bi].groups = append(bs[bi].groups, bs[bj].groups...)
		bs = append(bs[:bj], bs[bj+1:]...)
	}
	for b, bk := range bs {
		for _, gi := range bk.groups {
			px.addNibbles(b, [2]byte{px.groups[gi].a, px.groups[gi].b})
		}
	}
}

// bytePPM estimates how often c occurs in source text, in parts per
// million, from its rank in sourceByteOrder.
func bytePPM(c byte) float64 {
	return 50000 * math.Pow(0.95, float64(byteRank(c)))
}

// pairPPM estimates how often the pair (a, b) occurs in source text, in
// parts per million: the product of the bytes' estimates, times 10 when both
// are upper-case letters, which in code come together far more often than
// apart (ID, API, MAX, HTTP).
func pairPPM(a, b byte) float64 {
	p := bytePPM(a) * bytePPM(b) / 1e6
	if isUpper(a) && isUpper(b) {
		p *= 10
	}
	return p
}

// falsePairPPM is pairPPM for a pair a shared bucket would accept: lower-case
// pairs count three times, as words put them together ("mp" of "import").
func falsePairPPM(a, b byte) float64 {
	if isLower(a) && isLower(b) {
		return 3 * pairPPM(a, b)
	}
	return pairPPM(a, b)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// choosePairs assigns every prefix an anchor pair by greedy set cover:
// repeatedly the pair (no commoner than pairMaxPPM) that most unassigned
// prefixes contain. It returns nil when there are no prefixes, some prefix
// is shorter than two bytes, or more than maxPairs pairs would be needed.
func choosePairs(pes []prefixEntry, simd bool) *pairIndex {
	if len(pes) == 0 {
		return nil
	}
	left := make([]int, 0, len(pes))
	for i := range pes {
		if len(pes[i].lit) < 2 {
			return nil
		}
		left = append(left, i)
	}
	px := &pairIndex{simd: simd, minK: math.MaxInt}
	for len(left) > 0 {
		pr := bestPair(pes, left)
		gi := len(px.groups)
		if gi == maxPairs {
			return nil
		}
		px.groups = append(px.groups, pairGroup{a: pr[0], b: pr[1], minK: math.MaxInt})
		g := &px.groups[gi]
		rest := left[:0]
		for _, i := range left {
			pe := &pes[i]
			k := pairAt(pe.lit, pr)
			if k < 0 {
				rest = append(rest, i)
				continue
			}
			pe.pg, pe.pk = gi, k
			g.add(pe)
			px.minK, px.maxK = min(px.minK, pe.leadMin+k), max(px.maxK, pe.leadMax+k)
		}
		left = rest
		k := uint(pr[0])<<8 | uint(pr[1])
		px.bits[k>>6] |= 1 << (k & 63)
	}
	px.assignBuckets()
	return px
}

// bestPair picks the pair that the most prefixes of left contain among
// pairs no commoner than pairMaxPPM (ties: the rarer, then the smaller), or
// else the rarest pair of the first prefix.
func bestPair(pes []prefixEntry, left []int) [2]byte {
	count := map[[2]byte]int{}
	for _, i := range left {
		p := pes[i].lit
		seen := map[[2]byte]bool{}
		for k := 0; k+1 < len(p); k++ {
			pr := [2]byte{p[k], p[k+1]}
			if !seen[pr] && pairPPM(pr[0], pr[1]) <= pairMaxPPM {
				seen[pr] = true
				count[pr]++
			}
		}
	}
	better := func(x, y [2]byte) int { // <0 when x is the better pair
		return cmp.Or(count[y]-count[x], cmp.Compare(pairPPM(x[0], x[1]), pairPPM(y[0], y[1])),
			cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]))
	}
	var cands [][2]byte
	for pr := range count {
		cands = append(cands, pr)
	}
	if len(cands) == 0 {
		p := pes[left[0]].lit
		for k := 0; k+1 < len(p); k++ {
			cands = append(cands, [2]byte{p[k], p[k+1]})
		}
	}
	return slices.MinFunc(cands, better)
}

// pairAt returns the first position of pr in p, or -1.
func pairAt(p string, pr [2]byte) int {
	for k := 0; k+1 < len(p); k++ {
		if p[k] == pr[0] && p[k+1] == pr[1] {
			return k
		}
	}
	return -1
}

// add widens the group's ranges and tables for one literal.
func (g *pairGroup) add(pe *prefixEntry) {
	k := pe.pk
	g.minK, g.maxK = min(g.minK, k), max(g.maxK, k)
	g.after = max(g.after, len(pe.lit)-k)
	if k == 0 {
		g.prevAny = true
	} else {
		g.prev[pe.lit[k-1]] = true
	}
	if k+2 < len(pe.lit) {
		g.next[pe.lit[k+2]] = true
		return
	}
	for c := range 256 {
		if pe.f.InAlphabet(byte(c)) || pe.f.TailMin() == 0 {
			g.next[c] = true
		}
	}
}

// index returns the least i with (b[i], b[i+1]) an anchor pair, or -1.
// With more than nibBuckets pairs a shared bucket accepts other pairs too;
// the vectorised search drops those itself (against bits) rather than
// returning to the caller for each.
func (px *pairIndex) index(b []byte) int {
	done := 0
	if px.simd && len(b) >= 33 {
		if i := indexPairsSIMD(b, &px.nib, &px.bits); i >= 0 {
			return i
		}
		done = (len(b) - 1) / 32 * 32
	}
	for i := done; i+1 < len(b); i++ {
		k := uint(b[i])<<8 | uint(b[i+1])
		if px.bits[k>>6]&(1<<(k&63)) != 0 {
			return i
		}
	}
	return -1
}

// group returns the index of the group of the pair (a, b), or -1.
func (px *pairIndex) group(a, b byte) int {
	for gi := range px.groups {
		if px.groups[gi].a == a && px.groups[gi].b == b {
			return gi
		}
	}
	return -1
}

// scanPairs is the pair path. It returns false, leaving the work undone,
// when pairs are so dense that the whole-region automaton is cheaper.
func (e *engine) scanPairs(buf []byte, from, to int) bool {
	px := e.s.pairs
	budget := (to-from)/4 + 256
	lo, hi := from+px.minK, min(to+px.maxK+1, len(buf))
	for lo+1 < hi {
		j := px.index(buf[lo:hi])
		if j < 0 {
			break
		}
		i := lo + j
		lo = i + 1
		budget -= costHit
		gi := px.group(buf[i], buf[i+1])
		if gi < 0 {
			continue
		}
		g := &px.groups[gi]
		if (g.prevAny || i > 0 && g.prev[buf[i-1]]) && (i+2 >= len(buf) || g.next[buf[i+2]]) {
			budget -= costVerify
			e.verifyPair(buf, i, gi, from, to)
		}
		if budget < 0 && e.s.mode == modeAuto {
			return false
		}
	}
	return true
}

// verifyPair runs the automaton over the bytes around a pair hit at i and
// keeps the literals of group gi whose pair is exactly there.
func (e *engine) verifyPair(buf []byte, i, gi, from, to int) {
	g := &e.s.pairs.groups[gi]
	ws, we := max(i-g.maxK, 0), min(i+g.after, len(buf))
	for _, idx := range e.ac.Match(buf[ws:we]) {
		pe := &e.s.prefixes[idx]
		start := i - pe.pk
		if pe.pg != gi || start < ws ||
			start+len(pe.lit) > len(buf) || string(buf[start:start+len(pe.lit)]) != pe.lit {
			continue
		}
		e.try(buf, start, idx, from, to)
	}
}
