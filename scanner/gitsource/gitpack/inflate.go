package gitpack

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// This file is a DEFLATE decoder (RFC 1951) for the one case a pack
// walk has: the whole compressed stream is in memory (the mapped pack)
// and the size of what it inflates to is known in advance (the entry's
// header). Knowing both lets it do without the window, the io.Reader
// and the byte-at-a-time input of a streaming decoder: it reads the
// input eight bytes at a time, writes straight into the result, and
// resolves a match by copying inside the result. Against
// klauspost/compress/flate it is 1.2x on a real pack's objects and
// 1.4-1.7x on source and text (benchmarks/README.md).
//
// It accepts exactly the streams compress/flate accepts, and inflates
// them to the same bytes; FuzzInflate holds it to that.

// Errors of a stream that cannot be what its header says.
var (
	errCorrupt   = errors.New("corrupt deflate stream")
	errTruncated = errors.New("deflate stream truncated")
	errTooLong   = errors.New("data longer than its header says")
	errTooShort  = errors.New("data shorter than its header says")
)

// A decoding table entry: bits 0-7 the code's length in bits (0: no
// code), bits 8-11 the number of extra bits (or, for a pointer to a
// subtable, the subtable's index bits), bits 12-15 its kind, bits 16-31
// its value (a literal byte, or two for a pair; a length or distance
// base; or where the subtable starts). A pair is two literals whose codes
// together fit the primary index: one look-up decodes both, and bits 0-7
// are their two lengths' sum.
const (
	kindPair     = 1 << 12
	kindLiteral  = 1 << 13
	kindEnd      = 1 << 14
	kindSubtable = 1 << 15

	litBits = 11 // primary index bits of the literal/length table
	// pairMin: pairing a block's literals costs a pass over its primary
	// index; it is done when what is left of the object (which bounds
	// the block) is at least pairMin bytes per entry of it.
	pairMin   = 4
	distBits  = 8 // of the distance table
	clenBits  = 7 // of the code-length table: every code fits
	maxCodeLn = 15

	// Subtables hold the codes longer than the primary index; each
	// prefix of them has at least one code, so a table needs at most one
	// subtable of 2^(15-bits) entries per symbol.
	litTableLen  = 1<<litBits + 288<<(maxCodeLn-litBits)
	distTableLen = 1<<distBits + 32<<(maxCodeLn-distBits)
)

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clenOrder   = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// inflater holds the tables of one stream at a time; it is reused.
type inflater struct {
	lit   [litTableLen]uint32
	dist  [distTableLen]uint32
	clen  [1 << clenBits]uint32
	lens  [288 + 32]uint8
	fixed bool // lit and dist hold the fixed codes
	// The primary index bits of lit and dist (at most litBits and
	// distBits).
	litBits, distBits uint
}

// litEntry is the table entry of literal/length symbol s (without its
// code length); 0 for the symbols no stream may use (286, 287).
func litEntry(s int) uint32 {
	switch {
	case s < 256:
		return kindLiteral | uint32(s)<<16
	case s == 256:
		return kindEnd
	case s < 286:
		return uint32(lengthExtra[s-257])<<8 | uint32(lengthBase[s-257])<<16
	}
	return 0
}

// distEntry is the table entry of distance symbol s; 0 for 30 and 31.
func distEntry(s int) uint32 {
	if s < 30 {
		return uint32(distExtra[s])<<8 | uint32(distBase[s])<<16
	}
	return 0
}

// clenEntry is the entry of code-length symbol s, marked as a literal
// only so that symbol 0's entry is not 0.
func clenEntry(s int) uint32 { return kindLiteral | uint32(s)<<16 }

// build fills table from the code lengths lens (symbol i has lens[i]
// bits, 0 for none) with at most bits primary index bits (fewer when no
// code is that long: a small block's table is filled faster), and
// returns how many it used. The codes are canonical Huffman codes
// (RFC 1951 3.2.2). As compress/flate does, it refuses an over- or
// under-subscribed code, except a single code of one bit; an empty code
// builds a table of nothing, which fails when it is used.
func build(table []uint32, lens []uint8, bits uint, entry func(int) uint32) (uint, error) {
	var count [maxCodeLn + 1]int
	maxLen := 0
	for _, n := range lens {
		if n > maxCodeLn {
			return 0, errCorrupt
		}
		count[n]++
		maxLen = max(maxLen, int(n))
	}
	bits = max(1, min(bits, uint(maxLen)))
	size := 1 << bits
	clear(table[:size])
	if maxLen == 0 {
		return bits, nil
	}
	count[0] = 0
	var next [maxCodeLn + 1]int
	code := 0
	for n := 1; n <= maxLen; n++ {
		code = (code + count[n-1]) << 1
		next[n] = code
	}
	// next[n] is now the first code of n bits; the code is complete when
	// the codes of maxLen bits end exactly at 2^maxLen.
	if end := next[maxLen] + count[maxLen]; end != 1<<maxLen && !(end == 1 && maxLen == 1) {
		return 0, errCorrupt
	}
	// Subtables: for each prefix of the primary bits that starts a longer
	// code, one subtable as deep as its longest code.
	if maxLen > int(bits) {
		var subBits [1 << litBits]uint8
		nx := next
		for _, n := range lens {
			if int(n) <= int(bits) {
				if n != 0 {
					nx[n]++
				}
				continue
			}
			rev := reverse(nx[n], n)
			nx[n]++
			p := rev & (size - 1)
			subBits[p] = max(subBits[p], n-uint8(bits))
		}
		for p := range size {
			if subBits[p] != 0 {
				if size+1<<subBits[p] > len(table) {
					return 0, errCorrupt
				}
				table[p] = kindSubtable | uint32(subBits[p])<<8 | uint32(size)<<16
				clear(table[size : size+1<<subBits[p]])
				size += 1 << subBits[p]
			}
		}
	}
	for s, n := range lens {
		if n == 0 {
			continue
		}
		rev := reverse(next[n], n)
		next[n]++
		e := entry(s)
		if e == 0 {
			continue // a symbol no stream may use: left without a code
		}
		if uint(n) <= bits {
			for i := rev; i < 1<<bits; i += 1 << n {
				table[i] = e | uint32(n)
			}
			continue
		}
		sub := table[rev&(1<<bits-1)]
		start, sb, sn := int(sub>>16), uint(sub>>8&0xf), uint(n)-bits
		for i := rev >> bits; i < 1<<sb; i += 1 << sn {
			table[start+i] = e | uint32(sn)
		}
	}
	return bits, nil
}

// pairLiterals turns each literal entry of the primary index (bits) of
// a literal/length table into a pair where the literal after it is known
// from the same index bits. It goes from the last entry down, so that the
// entry it reads for the second literal (a lower index) is still single.
func pairLiterals(table []uint32, bits uint) {
	for i := 1<<bits - 1; i > 0; i-- {
		e := table[i]
		n := uint(e & 0xff)
		if e&kindLiteral == 0 || n >= bits {
			continue
		}
		e2 := table[i>>n]
		if n2 := uint(e2 & 0xff); e2&kindLiteral != 0 && n+n2 <= bits {
			table[i] = kindLiteral | kindPair | uint32(n+n2) | (e>>16&0xff|(e2>>16&0xff)<<8)<<16
		}
	}
}

// reverse returns the n low bits of code in reverse order: DEFLATE sends
// a Huffman code from its first bit, which the reader sees lowest.
func reverse(code int, n uint8) int {
	return int(bits.Reverse16(uint16(code)) >> (16 - n))
}

// inflate decodes the deflate stream at the start of src into out, which
// it must fill exactly, and returns where in src the stream ends (the
// byte after its last bit).
func (f *inflater) inflate(out, src []byte) (int, error) {
	var (
		bb  uint64 // bits read, not yet used, lowest first
		bl  uint   // how many of them
		pos int    // next byte of src to read into bb; may pass its end by the zeros fed after it
		op  int    // next byte of out
	)
	// refill makes bl 56 to 63 (fill, or refillEnd near the input's end;
	// block calls them itself, keeping its bit reader in registers).
	refill := func() error {
		if pos+8 <= len(src) {
			bb, bl, pos = fill(src, bb, bl, pos)
			return nil
		}
		var err error
		bb, bl, pos, err = refillEnd(src, bb, bl, pos)
		return err
	}
	bits := func(n uint) uint32 {
		v := uint32(bb & (1<<n - 1))
		bb >>= n
		bl -= n
		return v
	}
	for final := false; !final; {
		if err := refill(); err != nil {
			return 0, err
		}
		final = bits(1) == 1
		switch bits(2) {
		case 0: // stored
			bits(bl & 7)
			p := pos - int(bl>>3) // the byte after the header, unread
			bb, bl = 0, 0
			if p+4 > len(src) {
				return 0, errTruncated
			}
			n := int(binary.LittleEndian.Uint16(src[p:]))
			if uint16(n) != ^binary.LittleEndian.Uint16(src[p+2:]) {
				return 0, errCorrupt
			}
			p += 4
			if p+n > len(src) {
				return 0, errTruncated
			}
			if op+n > len(out) {
				return 0, errTooLong
			}
			op += copy(out[op:], src[p:p+n])
			pos = p + n
			continue
		case 1:
			if err := f.fixedTables(); err != nil {
				return 0, err
			}
		case 2:
			if err := f.dynamicTables(&bb, &bl, refill, len(out)-op); err != nil {
				return 0, err
			}
		default:
			return 0, errCorrupt
		}
		var err error
		if op, err = f.block(out, op, src, &bb, &bl, &pos); err != nil {
			return 0, err
		}
	}
	if op != len(out) {
		return 0, errTooShort
	}
	end := pos - int(bl>>3)
	if end > len(src) {
		return 0, errTruncated
	}
	return end, nil
}

// fill reads eight bytes of src (pos+8 must be within it) into the bit
// buffer, making bl 56 to 63.
func fill(src []byte, bb uint64, bl uint, pos int) (uint64, uint, int) {
	return bb | binary.LittleEndian.Uint64(src[pos:])<<bl, bl | 56, pos + int(63-bl)>>3
}

// refillEnd makes bl 56 to 63 near the end of src, a byte at a time,
// with zeros after it, so that a table look-up never runs short; using
// them is caught at the stream's end, or here, with an error, once more
// zeros were fed than the bit buffer holds.
func refillEnd(src []byte, bb uint64, bl uint, pos int) (uint64, uint, int, error) {
	for bl < 56 {
		if pos < len(src) {
			bb |= uint64(src[pos]) << bl
		}
		pos++
		bl += 8
	}
	if pos > len(src)+8 {
		return bb, bl, pos, errTruncated
	}
	return bb, bl, pos, nil
}

// fixedTables sets the codes of RFC 1951 3.2.6.
func (f *inflater) fixedTables() error {
	if f.fixed {
		return nil
	}
	l := f.lens[:288]
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var err error
	if f.litBits, err = build(f.lit[:], l, litBits, litEntry); err != nil {
		return err
	}
	pairLiterals(f.lit[:], f.litBits)
	d := f.lens[:32]
	for i := range d {
		d[i] = 5
	}
	if f.distBits, err = build(f.dist[:], d, distBits, distEntry); err != nil {
		return err
	}
	f.fixed = true
	return nil
}

// dynamicTables reads a block's codes (RFC 1951 3.2.7).
func (f *inflater) dynamicTables(bb *uint64, bl *uint, refill func() error, room int) error {
	f.fixed = false
	bits := func(n uint) uint32 {
		v := uint32(*bb & (1<<n - 1))
		*bb >>= n
		*bl -= n
		return v
	}
	// 14 bits of counts, then up to 19*3 bits of code lengths.
	nlit, ndist, nclen := int(bits(5))+257, int(bits(5))+1, int(bits(4))+4
	if nlit > 286 || ndist > 30 {
		return errCorrupt
	}
	var cl [19]uint8
	for i := range nclen {
		if *bl < 3 {
			if err := refill(); err != nil {
				return err
			}
		}
		cl[clenOrder[i]] = uint8(bits(3))
	}
	cb, err := build(f.clen[:], cl[:], clenBits, clenEntry)
	if err != nil {
		return err
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if *bl < 14 { // a code of up to 7 bits and up to 7 extra bits
			if err := refill(); err != nil {
				return err
			}
		}
		e := f.clen[*bb&(1<<cb-1)&(1<<clenBits-1)]
		n := uint(e & 0xff)
		if n == 0 {
			return errCorrupt
		}
		bits(n)
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errCorrupt
			}
			rep, v = 3+int(bits(2)), lens[i-1]
		case 17:
			rep = 3 + int(bits(3))
		default:
			rep = 11 + int(bits(7))
		}
		if i+rep > len(lens) {
			return errCorrupt
		}
		for ; rep > 0; rep-- {
			lens[i] = v
			i++
		}
	}
	if lens[256] == 0 { // a block must be able to end
		return errCorrupt
	}
	if f.litBits, err = build(f.lit[:], lens[:nlit], litBits, litEntry); err != nil {
		return err
	}
	if room >= pairMin<<f.litBits {
		pairLiterals(f.lit[:], f.litBits)
	}
	f.distBits, err = build(f.dist[:], lens[nlit:], distBits, distEntry)
	return err
}

// block decodes one compressed block's symbols into out from op, and
// returns where out stands at its end-of-block code, and the bit reader's
// state there (on an error, the stream is abandoned: the state is not
// written back). It works on copies of the state, written back only at
// the end: a deferred write-back would keep them in memory, not in
// registers, for the whole loop.
func (f *inflater) block(out []byte, op int, src []byte, pbb *uint64, pbl *uint, ppos *int) (int, error) {
	bb, bl, pos := *pbb, *pbl, *ppos
	lit, dist := &f.lit, &f.dist
	lb, db := f.litBits, f.distBits
	lm, dm := uint64(1)<<lb-1, uint64(1)<<db-1
	var err error
	for {
		// One symbol, and a match's distance, use at most 15+5+15+13 = 48
		// bits: one refill covers them.
		if pos+8 <= len(src) {
			bb, bl, pos = fill(src, bb, bl, pos)
		} else if bb, bl, pos, err = refillEnd(src, bb, bl, pos); err != nil {
			return op, err
		}
		e := lit[bb&lm&(1<<litBits-1)]
	entry: // from a match, with the next entry looked up before its copy
		if e&kindLiteral != 0 {
			if op+6 > len(out) { // near the end: one entry, each byte checked
				n := uint(e & 0xff)
				bb >>= n
				bl -= n
				if op+1+int(e>>12&1) > len(out) {
					return op, errTooLong
				}
				out[op] = byte(e >> 16)
				if e&kindPair != 0 {
					out[op+1] = byte(e >> 24)
				}
				op += 1 + int(e>>12&1)
				continue
			}
			// Up to three entries of the primary index per refill, each
			// of at most 11 of the 56 bits and one or two literals.
			for k := 0; ; k++ {
				n := uint(e & 0xff)
				bb >>= n
				bl -= n
				binary.LittleEndian.PutUint16(out[op:], uint16(e>>16))
				op += 1 + int(e>>12&1)
				if k == 2 {
					break
				}
				if e = lit[bb&lm&(1<<litBits-1)]; e&kindLiteral == 0 {
					break
				}
			}
			continue
		}
		if e&kindSubtable != 0 {
			bb >>= lb
			bl -= lb
			e = lit[e>>16+uint32(bb)&(1<<(e>>8&0xf)-1)]
		}
		n := uint(e & 0xff)
		if e&kindLiteral != 0 {
			bb >>= n
			bl -= n
			if op >= len(out) {
				return op, errTooLong
			}
			out[op] = byte(e >> 16)
			op++
			continue
		}
		if n == 0 {
			return op, errCorrupt
		}
		bb >>= n
		bl -= n
		if e&kindEnd != 0 {
			*pbb, *pbl, *ppos = bb, bl, pos
			return op, nil
		}
		x := uint(e >> 8 & 0xf)
		length := int(e>>16) + int(bb&(1<<x-1))
		bb >>= x
		bl -= x
		d := dist[bb&dm&(1<<distBits-1)]
		if d&kindSubtable != 0 {
			bb >>= db
			bl -= db
			d = dist[d>>16+uint32(bb)&(1<<(d>>8&0xf)-1)]
		}
		n = uint(d & 0xff)
		if n == 0 {
			return op, errCorrupt
		}
		bb >>= n
		bl -= n
		x = uint(d >> 8 & 0xf)
		distance := int(d>>16) + int(bb&(1<<x-1))
		bb >>= x
		bl -= x
		if distance > op {
			return op, errCorrupt
		}
		if length > len(out)-op {
			return op, errTooLong
		}
		from := op - distance
		// The next symbol's entry is looked up before the copy, so that
		// its load is in flight while the copy runs (libdeflate does the
		// same); the copy changes neither the bits nor the input.
		if pos+8 <= len(src) {
			bb, bl, pos = fill(src, bb, bl, pos)
		} else if bb, bl, pos, err = refillEnd(src, bb, bl, pos); err != nil {
			return op, err
		}
		e = lit[bb&lm&(1<<litBits-1)]
		switch {
		case distance >= length && length >= 32:
			copy(out[op:op+length], out[from:from+length])
		case distance >= 8 && op+length+8 <= len(out):
			// Eight bytes at a time, each read wholly before the
			// write that follows it; the overrun is rewritten later.
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[op+i:], binary.LittleEndian.Uint64(out[from+i:]))
			}
		case distance >= length:
			copy(out[op:op+length], out[from:from+length])
		default: // the match overlaps what it writes: a repeated pattern
			for i := range length {
				out[op+i] = out[from+i]
			}
		}
		op += length
		goto entry
	}
}
