package scanner

import "bytes"

// decodeState is an engine's encoding-layer state for one stream.
type decodeState struct {
	sub   *engine                 // scans decoded bytes; never decodes
	buf   [maxDecodeDepth][]byte  // decoded bytes, per depth
	tab   [maxDecodeDepth][]int32 // their position tables (escapes)
	maps  [maxDecodeDepth]posMap  // decoded bytes → the bytes decoded
	names [maxDecodeDepth]string  // the encoding of each depth
	from  int                     // the region whose tokens are kept
	to    int
	toks  []decTok // tokens found encoded this region
	arena []byte   // their bytes
	spent int64    // bytes decoded this stream
	over  bool     // the budget ran out
	// The last long run seen, in absolute offsets: a later region that
	// starts inside it learns where it began (its base64 quad grid).
	runOK      bool
	runS, runE int64
}

// decTok is a token found in decoded bytes: arena[off:off+n], and how it
// was encoded, outermost first ("base64/backslash").
type decTok struct {
	off, n int
	enc    string
}

func (st *decodeState) reset() {
	st.spent, st.over, st.runOK = 0, false, false
	st.toks, st.arena = st.toks[:0], st.arena[:0]
}

// decodeErr reports a stream whose decode budget ran out.
func (e *engine) decodeErr() error {
	if e.d.over {
		return &DecodeBudgetError{Budget: e.s.dec.budget}
	}
	return nil
}

// scanEncoded adds to e.found the tokens whose encoded form starts in
// buf[from:to] (buf[0] at absolute offset e.base).
func (e *engine) scanEncoded(buf []byte, from, to int) {
	d, st := e.s.dec, &e.d
	st.toks, st.arena = st.toks[:0], st.arena[:0]
	if st.over {
		return
	}
	lim := min(len(buf), to+d.ahead)
	st.from, st.to = from, to
	p := from
	if from > 0 && from < lim && d.class[buf[from-1]] && d.class[buf[from]] {
		// A run that began before the region.
		abs := e.base + int64(from)
		rs := from - 1
		if st.runOK && st.runS < abs && st.runE >= abs {
			rs = int(st.runS - e.base)
		} else {
			for rs > 0 && rs > from-d.minRun && d.class[buf[rs-1]] {
				rs--
			}
		}
		re := d.runEnd(buf[:lim], from)
		if re-rs >= d.minRun {
			e.decodeRun(buf, rs, re, from)
		}
		p = re
	}
	for p < to && !st.over {
		rs, re := d.longRun(buf[:lim], p)
		if rs < 0 || rs >= to {
			break
		}
		st.runOK, st.runS, st.runE = true, e.base+int64(rs), e.base+int64(re)
		e.decodeRun(buf, rs, re, from)
		p = re
	}
}

// decodeRun decodes the part of the run buf[rs:re] (rs may lie before
// buf) that can hold a token starting at or after from.
func (e *engine) decodeRun(buf []byte, rs, re, from int) {
	ws := max(rs, from-decodeBackPad, 0)
	if re-ws < e.s.dec.minRun {
		ws = max(rs, 0) // a short run: all of what is in buf
	}
	ws += ((rs-ws)%4 + 4) % 4 // on the run's base64 quad grid
	if e.s.dec.anchors().worth(buf[ws:re]) {
		e.decodeSpan(buf, ws, re, 0)
	}
}

// decodeAll decodes every long run of b (decoded bytes, depth deep).
func (e *engine) decodeAll(b []byte, depth int) {
	d := e.s.dec
	for p := 0; p < len(b) && !e.d.over; {
		rs, re := d.longRun(b, p)
		if rs < 0 {
			return
		}
		if d.anchors().worth(b[rs:re]) {
			e.decodeSpan(b, rs, re, depth)
		}
		p = re
	}
}

// decodeSpan decodes b[ws:we], a class run whose base64 quad grid starts
// at ws, every way that applies, and looks for tokens in each result.
func (e *engine) decodeSpan(b []byte, ws, we, depth int) {
	d := e.s.dec
	// base64 and hex: the maximal runs of base64 characters.
	for i := ws; i < we && !e.d.over; {
		if d.b64[b[i]] == 0xff {
			i++
			continue
		}
		j := i
		for j < we && d.b64[b[j]] != 0xff {
			j++
		}
		if j-i >= d.minB64 {
			e.decodeB64(b, i, j, depth)
			if j-i >= 2*d.minTok && allHex(b[i:j]) {
				e.d.maps[depth] = posMap{kind: 'h', off: i}
				e.scanDecoded(decodeHex(e.d.buf[depth][:0], b[i:j]), "hex", false, depth)
			}
		}
		i = j
	}
	// Escapes anywhere in the span.
	for _, k := range [...]struct {
		kind int
		c    byte
	}{{escPercent, '%'}, {escBackslash, '\\'}, {escHTML, '&'}} {
		if e.d.over || bytes.IndexByte(b[ws:we], k.c) < 0 {
			continue
		}
		dst, tab, n := unescape(k.kind, e.d.buf[depth][:0], e.d.tab[depth][:0], b[ws:we], ws)
		e.d.buf[depth], e.d.tab[depth] = dst, tab // kept grown, found or not
		if n > 0 {
			e.d.maps[depth] = posMap{kind: 't', tab: tab}
			e.scanDecoded(dst, escapeName(k.kind), true, depth)
		}
	}
}

// decodeB64 decodes the base64 run b[i:j] on its own grid and, when
// padding after it says the text ends on a different one, on that too.
func (e *engine) decodeB64(b []byte, i, j, depth int) {
	pad := 0
	for pad < 2 && j+pad < len(b) && b[j+pad] == '=' {
		pad++
	}
	grids := [2]int{i, -1}
	if pad > 0 && (j-i+pad)%4 != 0 {
		grids[1] = i + ((j+pad-i)%4+4)%4
	}
	for _, g := range grids {
		if g < 0 || e.d.over {
			continue
		}
		e.d.maps[depth] = posMap{kind: 'b', off: g}
		e.scanDecoded(e.s.dec.decodeBase64(e.d.buf[depth][:0], b[g:j]), "base64", false, depth)
	}
}

// scanDecoded looks for tokens in dec (decoded bytes, mapped back by
// e.d.maps[depth]) and, unless this is the deepest level, for encoded runs
// in it. An escape decoding counts a token only if an escape lies inside
// it (the rest is the plain scan's).
func (e *engine) scanDecoded(dec []byte, name string, escaped bool, depth int) {
	st := &e.d
	st.buf[depth], st.names[depth] = dec, name
	if len(dec) < e.s.dec.minTok {
		return
	}
	if st.spent += int64(len(dec)); st.spent > e.s.dec.budget {
		st.over = true
		return
	}
	sub := st.sub
	if sub == nil {
		sub = e.s.newEngine()
		sub.nested = true
		st.sub = sub
	}
	sub.scanRegion(dec, 0, len(dec))
	m := &st.maps[depth]
	for _, h := range sub.found {
		if escaped && m.end(h.end)-m.at(h.start) == h.end-h.start {
			continue
		}
		e.addDecoded(dec[h.start:h.end], h.start, h.end, depth, h.pe)
	}
	if depth+1 < maxDecodeDepth && len(dec) >= e.s.dec.minRun {
		e.decodeAll(dec, depth+1)
	}
}

// addDecoded keeps a token found in the bytes decoded at depth, at
// [start, end) there, if its encoded form starts in the region.
func (e *engine) addDecoded(tok []byte, start, end, depth, pe int) {
	st := &e.d
	for k := depth; k >= 0; k-- {
		start, end = st.maps[k].at(start), st.maps[k].end(end)
	}
	if start < st.from || start >= st.to {
		return
	}
	enc := st.names[0]
	for k := 1; k <= depth; k++ {
		enc += "/" + st.names[k]
	}
	st.toks = append(st.toks, decTok{off: len(st.arena), n: len(tok), enc: enc})
	st.arena = append(st.arena, tok...)
	e.found = append(e.found, hit{start: start, end: end, pe: pe, dec: len(st.toks)})
}
