package scanner

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// Encoded anchors. A run is decoded only if it holds a fixed piece of an
// encoded form of some prefix: the few bytes every encoding of that
// prefix must contain, whatever surrounds it. For base64 these are the
// characters whose six bits come from the prefix alone, at each of the
// three alignments of the prefix to the quads; for hex, the hex of the
// prefix; for escapes, the first three characters of the prefix fully
// escaped; and, for one encoding inside another, the base64 forms of all
// of these. A run that holds the first three characters of a prefix
// literally and an escape introducer (% \ &) is decoded too, for tokens
// escaped only in part ("lgu&lowbar;…"). Runs without any (long
// identifiers, hashes, escaped byte strings, base64 of other data) cost
// a filtered look-up per byte and no decoding.

// anchorSet is the decoder's prefilter over long runs.
type anchorSet struct {
	full  strSet // encoded pieces: the run is decoded
	heads strSet // literal prefix heads: decoded if escaped
}

// strSet answers "does b contain one of these strings": a filter of
// their trigrams, each byte reduced to 6 bits (sixBit: base64 characters
// exactly, other bytes folded onto them), 2^18 bits = 32 KiB that stay in
// the first-level cache, then the strings indexed by the trigram. With
// stride 2 every string (then at least 4 bytes) is indexed by its
// trigrams at offsets 0 and 1, and b is looked up at every second
// position only. Read-only once built.
type strSet struct {
	stride int
	six    [256]byte
	filter []uint64
	byTri  map[uint32][]strAt
}

// strAt is a string indexed by the trigram at off in it.
type strAt struct {
	s   string
	off int
}

func trigram(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

func newStrSet(ss [][]byte, stride int) strSet {
	st := strSet{stride: stride, filter: make([]uint64, 1<<12), byTri: map[uint32][]strAt{}}
	for c := range 256 {
		st.six[c] = byte(c) & 63
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		st.six[alpha[i]] = byte(i)
	}
	st.six['-'], st.six['_'] = 62, 63
	for _, s := range ss {
		for off := range stride {
			k := trigram(s[off:])
			st.byTri[k] = append(st.byTri[k], strAt{string(s), off})
			h := st.filterBit(s[off:])
			st.filter[h>>6] |= 1 << (h & 63)
		}
	}
	return st
}

// filterBit is the filter bit of the trigram at b[0].
func (st *strSet) filterBit(b []byte) uint32 {
	return uint32(st.six[b[0]])<<12 | uint32(st.six[b[1]])<<6 | uint32(st.six[b[2]])
}

// contains reports whether b holds one of the strings.
func (st *strSet) contains(b []byte) bool {
	f := st.filter[:1<<12]
	for i := 0; i+3 <= len(b); i += st.stride {
		h := st.filterBit(b[i : i+3])
		if f[h>>6&(1<<12-1)]&(1<<(h&63)) == 0 {
			continue
		}
		for _, sa := range st.byTri[trigram(b[i:])] {
			at := i - sa.off
			if at >= 0 && len(b)-at >= len(sa.s) && string(b[at:at+len(sa.s)]) == sa.s {
				return true
			}
		}
	}
	return false
}

// headLen is how many leading characters of a prefix the escape and
// partial-escape anchors use.
const headLen = 3

func newAnchorSet(prefixes []string) *anchorSet {
	seen := map[string]bool{}
	var full, heads [][]byte
	add := func(dst *[][]byte, s string) {
		if len(s) >= 4 || len(s) == 3 && dst == &heads {
			if seen[s] {
				return
			}
			seen[s] = true
			*dst = append(*dst, []byte(s))
		}
	}
	for _, p := range prefixes {
		h := p[:min(headLen, len(p))]
		add(&heads, h)
		var direct []string
		direct = append(direct, base64Pieces(p)...)
		direct = append(direct, fmt.Sprintf("%x", p), fmt.Sprintf("%X", p))
		direct = append(direct, escapeForms(h)...)
		for _, s := range direct {
			add(&full, s)
		}
		// One encoding inside base64, and base64 of a partly escaped
		// prefix (whose literal head it holds).
		for _, s := range append(direct, h) {
			for _, n := range base64Pieces(s) {
				add(&full, n)
			}
		}
	}
	return &anchorSet{full: newStrSet(full, 2), heads: newStrSet(heads, 1)}
}

// base64Pieces returns, per alignment of s to base64's 3-byte groups, the
// longest run of characters that only s's bits make, in both alphabets.
func base64Pieces(s string) []string {
	var out []string
	for a := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, a), s...))
		lo, hi := (8*a+5)/6, 8*(a+len(s))/6
		if hi-lo < 4 {
			continue
		}
		piece := enc[lo:hi]
		out = append(out, piece)
		if url := strings.NewReplacer("+", "-", "/", "_").Replace(piece); url != piece {
			out = append(out, url)
		}
	}
	return out
}

// escapeForms returns s with every character escaped, each way decode.go
// undoes: \u (lower and upper hex), \x, %XX (both cases), &#N; and &#xH;.
func escapeForms(s string) []string {
	var out []string
	for _, f := range []string{`\u%04x`, `\u%04X`, `\x%02x`, `\x%02X`, "%%%02X", "%%%02x", "&#%d;", "&#x%x;", "&#x%X;"} {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, f, s[i])
		}
		out = append(out, b.String())
	}
	return out
}

// worth reports whether the run may hold an encoded token.
func (a *anchorSet) worth(run []byte) bool {
	if a.full.contains(run) {
		return true
	}
	if bytes.IndexByte(run, '%') < 0 && bytes.IndexByte(run, '\\') < 0 && bytes.IndexByte(run, '&') < 0 {
		return false
	}
	return a.heads.contains(run)
}
