package scanner

import (
	"fmt"
	"sync/atomic"
)

// The encoding layer (docs/findings.md#encodings). Tokens also hide
// encoded: base64 (both alphabets, padded or not), hex, percent-encoding,
// backslash escapes (\uXXXX, \xXX) and HTML character references, and one
// encoding inside another (a Kubernetes Secret's base64 of a
// .dockerconfigjson whose auth is base64 of user:token).
//
// Every one of these forms of a token is a long run of "encoded" bytes:
// the base64 alphabets plus % \ & # ; (class). A token of n bytes is at
// least n of them (escaped in part) or 4n/3 (base64), so only runs of at
// least minRun bytes can hold one. One AVX2 pass per region finds those
// runs while looking at only half the bytes (runs_amd64.s: a 16-byte
// block every 32 bytes, two per 32-byte vector, each either all class
// bytes or not); in source text they are rare (long identifiers, hashes,
// base64 blobs, escaped byte strings), and only they are decoded, every way that applies, and the decoded bytes
// scanned like any input (and, once, for encoded runs again). A token is
// reported at the encoded position of its first byte, with the decoded
// token's hash, so ignores, baselines and revocation work unchanged.

// DefaultDecodeBudget bounds the bytes decoded per stream (file, blob or
// archive entry); past it the rest of the stream's encoded runs are not
// decoded and the scan ends with a *DecodeBudgetError.
const DefaultDecodeBudget = 64 << 20

// sampledRun is the shortest run of encoded bytes sampleRunSIMD cannot
// miss: runs are decoded from this length on, whatever the catalog.
const sampledRun = 47

// maxDecodeDepth is how many encodings deep tokens are looked for: an
// encoding and one nested in it.
const maxDecodeDepth = 2

// decodeBackPad is how many encoded bytes before a region a run's window
// starts, so that a nested encoding that began there is decoded whole.
const decodeBackPad = 512

// DecodeBudgetError reports a stream whose encoded runs were decoded only
// up to the budget: tokens encoded after that point were not looked for.
type DecodeBudgetError struct {
	Budget int64
}

func (e *DecodeBudgetError) Error() string {
	return fmt.Sprintf("decoded %d bytes of encoded text (the per-file budget): encoded runs after that were not decoded", e.Budget)
}

// decoder is the Scanner's read-only encoding-layer state.
type decoder struct {
	class  [256]bool   // bytes of an encoded run
	b64    [256]byte   // base64 value (either alphabet), or 0xff
	nib    [2][32]byte // class as nibble tables for longRunSIMD
	simd   bool        // longRunSIMD may run
	minRun int         // shortest encoded run that can hold a token
	minB64 int         // shortest base64 run that can hold one
	minTok int         // shortest token
	ahead  int         // bytes past a region a run's window reaches
	budget int64       // DefaultDecodeBudget unless Options says
	// built says which runs are worth decoding. It is built in the
	// background (a few ms of a process's start, which a history scan
	// spends waiting on git); the first scan that needs it waits.
	built *lateAnchors
}

// lateAnchors is an anchor set being built.
type lateAnchors struct {
	set  atomic.Pointer[anchorSet]
	done chan struct{}
}

// anchors returns the anchor set, once built.
func (d *decoder) anchors() *anchorSet {
	if a := d.built.set.Load(); a != nil {
		return a
	}
	<-d.built.done
	return d.built.set.Load()
}

// encodedBytes are the bytes of an encoded run besides letters and digits.
const encodedBytes = "+/-_%\\&#;"

func newDecoder(prefixes []string, minTok, maxLen int, budget int64, simd bool) *decoder {
	d := &decoder{simd: simd, budget: budget, minTok: minTok, built: &lateAnchors{done: make(chan struct{})}}
	go func() {
		defer close(d.built.done)
		d.built.set.Store(newAnchorSet(prefixes))
	}()
	for i := range d.b64 {
		d.b64[i] = 0xff
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for i := 0; i < len(alpha); i++ {
		d.class[alpha[i]] = true
		d.b64[alpha[i]] = byte(i)
	}
	for i := 0; i < len(encodedBytes); i++ {
		d.class[encodedBytes[i]] = true
	}
	d.b64['+'], d.b64['-'], d.b64['/'], d.b64['_'] = 62, 62, 63, 63
	// A token of minTok bytes is at least minTok bytes escaped (only some
	// of its characters may be) and 4*minTok/3 base64 characters; the
	// sampling run finder misses no run of sampledRun bytes.
	d.minRun = max(sampledRun, minTok)
	d.minB64 = max(d.minRun, minTok*4/3)
	// The longest form of a token: backslash-escaped (6 bytes each) inside
	// base64 (4 per 3).
	d.ahead = 8*maxLen + 64
	d.nib = nibbleClass(&d.class)
	return d
}

// decoderFor is the encoding layer of a scanner with these prefix and
// signature entries.
func decoderFor(pes []prefixEntry, maxLen int, budget int64, simd bool) *decoder {
	minTok := maxLen
	var lits []string
	for _, pe := range pes {
		minTok = min(minTok, len(pe.p)+pe.f.TailMin())
		lits = append(lits, pe.lit) // the prefix, or a signature
	}
	return newDecoder(lits, minTok, maxLen, budget, simd)
}

// nibbleClass expresses a byte class as two nibble tables (see
// longRunAVX2): one bit per distinct set of low nibbles that some high
// nibble admits. It panics if the class needs more than 8 such sets.
func nibbleClass(class *[256]bool) [2][32]byte {
	var t [2][32]byte
	var sets []uint16
	for hi := range 16 {
		var set uint16
		for lo := range 16 {
			if class[hi<<4|lo] {
				set |= 1 << lo
			}
		}
		if set == 0 {
			continue
		}
		b := -1
		for i, s := range sets {
			if s == set {
				b = i
			}
		}
		if b < 0 {
			b = len(sets)
			sets = append(sets, set)
		}
		if b >= 8 {
			panic("scanner: byte class needs more than 8 nibble sets")
		}
		for lane := 0; lane < 32; lane += 16 {
			t[1][lane+hi] |= 1 << b
			for lo := range 16 {
				if set&(1<<lo) != 0 {
					t[0][lane+lo] |= 1 << b
				}
			}
		}
	}
	return t
}

// longRun returns the start and end of the first run of at least minRun
// class bytes that starts in b[from:] (b[from-1] is not in the class or
// from is 0), or -1, -1. The end is where the run stops within b.
func (d *decoder) longRun(b []byte, from int) (int, int) {
	i := from
	if d.simd {
		for len(b)-i >= 48 {
			j := sampleRunSIMD(b[i:], &d.nib)
			if j < 0 {
				// The kernel looked at the blocks 32k after i up to the
				// last pair that fits; a long run it missed starts after
				// the last one it looked at, less 15.
				n := len(b) - i
				last := i + 64*((n-48)/64) + 32
				i = max(i, last-15)
				break
			}
			p := i + j // 16 class bytes from here
			s := p
			for s > from && d.class[b[s-1]] {
				s--
			}
			e := d.runEnd(b, p+16)
			if e-s >= d.minRun {
				return s, e
			}
			i = e
		}
	}
	for n := 0; i < len(b); i++ {
		if !d.class[b[i]] {
			n = 0
			continue
		}
		if n++; n == d.minRun {
			return i - n + 1, d.runEnd(b, i)
		}
	}
	return -1, -1
}

// runEnd returns the end of the run holding b[p].
func (d *decoder) runEnd(b []byte, p int) int {
	if d.simd && len(b)-p >= 64 {
		j := classSpanSIMD(b[p:], &d.nib)
		if j >= 0 {
			return p + j
		}
		p += (len(b) - p) / 32 * 32
	}
	for p < len(b) && d.class[b[p]] {
		p++
	}
	return p
}

// posMap maps positions in decoded bytes back to the encoded bytes they
// came from.
type posMap struct {
	kind byte // 'b' base64, 'h' hex, 't' table
	off  int  // encoded position of decoded byte 0 ('b', 'h')
	tab  []int32
}

// at is the encoded position of the first character holding decoded byte
// i; end(i) is the encoded end of the decoded bytes before i.
func (m *posMap) at(i int) int {
	switch m.kind {
	case 'b':
		return m.off + i/3*4 + i%3
	case 'h':
		return m.off + 2*i
	}
	return int(m.tab[i])
}

func (m *posMap) end(i int) int {
	switch m.kind {
	case 'b':
		if r := i % 3; r != 0 {
			return m.off + i/3*4 + r + 1
		}
		return m.off + i/3*4
	case 'h':
		return m.off + 2*i
	}
	return int(m.tab[i])
}

// decodeBase64 appends the decoding of s (base64 characters of either
// alphabet, s[0] on a quad boundary) to dst; a final 2 or 3 characters
// give 1 or 2 bytes, a final single one nothing.
func (d *decoder) decodeBase64(dst, s []byte) []byte {
	t := &d.b64
	for len(s) >= 4 {
		v := uint32(t[s[0]])<<18 | uint32(t[s[1]])<<12 | uint32(t[s[2]])<<6 | uint32(t[s[3]])
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
		s = s[4:]
	}
	switch len(s) {
	case 2:
		dst = append(dst, t[s[0]]<<2|t[s[1]]>>4)
	case 3:
		v := uint32(t[s[0]])<<18 | uint32(t[s[1]])<<12 | uint32(t[s[2]])<<6
		dst = append(dst, byte(v>>16), byte(v>>8))
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeHex appends the decoding of the hex digit pairs of s to dst.
func decodeHex(dst, s []byte) []byte {
	for ; len(s) >= 2; s = s[2:] {
		hi, _ := unhex(s[0])
		lo, _ := unhex(s[1])
		dst = append(dst, hi<<4|lo)
	}
	return dst
}

// allHex reports whether s is hex digits only.
func allHex(s []byte) bool {
	for _, c := range s {
		if _, ok := unhex(c); !ok {
			return false
		}
	}
	return true
}

// hexN parses the n hex digits at s[i:], or returns false.
func hexN(s []byte, i, n int) (rune, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+n] {
		v, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// escape kinds of unescape.
const (
	escPercent   = iota // %XX
	escBackslash        // \uXXXX, \xXX, \\, \/
	escHTML             // &#NNN; &#xHH; and a few named references
)

// escapeName is the encoding name findings give an escape kind.
func escapeName(kind int) string {
	switch kind {
	case escPercent:
		return "percent"
	case escBackslash:
		return "backslash"
	}
	return "html"
}

// htmlNamed decodes the named character references of the characters
// tokens and their carriers use (HTML 5's names).
func htmlNamed(name string) (byte, bool) {
	switch name {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	case "lowbar", "UnderBar":
		return '_', true
	case "period":
		return '.', true
	case "colon":
		return ':', true
	case "sol":
		return '/', true
	case "plus":
		return '+', true
	case "equals":
		return '=', true
	case "num":
		return '#', true
	case "percnt":
		return '%', true
	case "semi":
		return ';', true
	case "commat":
		return '@', true
	case "bsol":
		return '\\', true
	}
	return 0, false
}

// unescape decodes the escapes of one kind in s, appending the bytes to
// dst and, per decoded byte, its position in s (plus off) to tab, with a
// final entry for the end. It returns how many escapes it decoded.
func unescape(kind int, dst []byte, tab []int32, s []byte, off int) ([]byte, []int32, int) {
	n := 0
	for i := 0; i < len(s); {
		c, w := s[i], 1
		switch {
		case kind == escPercent && c == '%':
			if r, ok := hexN(s, i+1, 2); ok {
				c, w = byte(r), 3
			}
		case kind == escBackslash && c == '\\' && i+1 < len(s):
			switch s[i+1] {
			case 'u':
				if r, ok := hexN(s, i+2, 4); ok && r < 0x80 {
					c, w = byte(r), 6
				} else if ok {
					c, w = 0x80, 6 // not ASCII: no token byte
				}
			case 'x':
				if r, ok := hexN(s, i+2, 2); ok {
					c, w = byte(r), 4
				}
			case '\\', '/':
				c, w = s[i+1], 2
			}
		case kind == escHTML && c == '&':
			c, w = htmlRef(s, i)
		}
		if w > 1 {
			n++
		}
		dst = append(dst, c)
		tab = append(tab, int32(off+i))
		i += w
	}
	tab = append(tab, int32(off+len(s)))
	return dst, tab, n
}

// htmlRef decodes the character reference at s[i] ('&'), or returns '&', 1.
func htmlRef(s []byte, i int) (byte, int) {
	j := i + 1
	for j < len(s) && j-i <= 10 && s[j] != ';' {
		j++
	}
	if j >= len(s) || s[j] != ';' || j == i+1 {
		return '&', 1
	}
	name := s[i+1 : j]
	if name[0] != '#' {
		if c, ok := htmlNamed(string(name)); ok {
			return c, j + 1 - i
		}
		return '&', 1
	}
	var r rune
	digits := name[1:]
	if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
		v, ok := hexN(digits, 1, len(digits)-1)
		if !ok || len(digits) < 2 {
			return '&', 1
		}
		r = v
	} else {
		if len(digits) == 0 {
			return '&', 1
		}
		for _, c := range digits {
			if c < '0' || c > '9' {
				return '&', 1
			}
			r = r*10 + rune(c-'0')
		}
	}
	if r >= 0x80 {
		return 0x80, j + 1 - i
	}
	return byte(r), j + 1 - i
}
