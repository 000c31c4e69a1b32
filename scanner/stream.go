package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/leakguard/leakguard/patterns"
)

// maxEmptyReads is how many (0, nil) reads in a row Scan tolerates before
// giving up with io.ErrNoProgress.
const maxEmptyReads = 100

// cursor tracks the position of the emitted part of a stream: newlines are
// counted once, incrementally, up to each match and each region end, and the
// inline-allow look-ups search each byte a bounded number of times.
type cursor struct {
	line      int   // 1-based line number at countedTo
	countedTo int64 // absolute offset up to which newlines are counted
	lastNL    int64 // absolute offset of the last '\n' before countedTo, or -1
	nl        seeker
	markers   [2]seeker
	// UTF-16 column of the current line, counted incrementally from the
	// line's start to u16To (u16 code units), for the line after u16NL.
	u16NL, u16To int64
	u16          int
}

func (e *engine) reset() {
	e.base = 0
	e.d.reset()
	e.pos = cursor{line: 1, lastNL: -1, u16NL: -2,
		nl:      seeker{pat: e.s.pats[0], found: -1},
		markers: [2]seeker{{pat: e.s.pats[1], found: -1}, {pat: e.s.pats[2], found: -1}},
	}
}

// advance counts the newlines of buf between countedTo and the absolute
// offset to; buf[0] is at absolute offset base.
func (c *cursor) advance(buf []byte, base, to int64) {
	if to <= c.countedTo {
		return
	}
	seg := buf[c.countedTo-base : to-base]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		c.line += n
		c.lastNL = c.countedTo + int64(bytes.LastIndexByte(seg, '\n'))
	}
	c.countedTo = to
}

// column16 returns the 1-based column of absolute offset off in UTF-16
// code units (what SARIF counts), or 0 if the start of its line is no
// longer in buf (a line longer than the kept history); the cursor must be
// at off. It counts each line's bytes once, however many matches it has.
func (c *cursor) column16(buf []byte, base, off int64) int {
	if c.u16NL != c.lastNL {
		c.u16NL, c.u16To, c.u16 = c.lastNL, c.lastNL+1, 0
	}
	if c.u16To < base {
		return 0
	}
	c.u16 += utf16Len(buf[c.u16To-base : off-base])
	c.u16To = off
	return c.u16 + 1
}

// utf16Len is the length of b in UTF-16 code units, as a UTF-8 decoder
// that maps each invalid byte to U+FFFD would see it.
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			n++
			continue
		}
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		n += utf16.RuneLen(r)
	}
	return n
}

// emit reports e.found (tokens of buf, whose first byte is at absolute offset
// base) to fn, then counts lines up to buf[to].
func (e *engine) emit(buf []byte, base int64, to int, fn func(Match) error) error {
	for _, h := range e.found {
		pe := &e.s.prefixes[h.pe]
		off := base + int64(h.start)
		e.pos.advance(buf, base, off)
		tok, enc := buf[h.start:h.end], ""
		if h.dec > 0 {
			t := e.d.toks[h.dec-1]
			tok, enc = e.d.arena[t.off:t.off+t.n], t.enc
		}
		m := Match{
			Encoding: enc,
			Format:   pe.f, Prefix: pe.p,
			Secret: patterns.NewSecret(string(tok)), Hash: patterns.HashBytes(tok),
			Offset: off, Line: e.pos.line, Column: int(off - e.pos.lastNL),
			Column16: e.pos.column16(buf, base, off),
			Allowed:  e.allowed(buf, base, off, base+int64(h.end)),
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	e.pos.advance(buf, base, base+int64(to))
	return nil
}

// allowed reports whether an inline-allow marker lies within the match's
// line, no further than allowWin bytes before start or after end (see
// allowedRef for the literal definition). The cursor must be at start.
func (e *engine) allowed(buf []byte, base, start, end int64) bool {
	w := int64(e.s.allowWin)
	bufEnd := base + int64(len(buf))
	ws := max(e.pos.lastNL+1, start-w)
	we := min(end+w, bufEnd)
	if nl := e.pos.nl.next(buf, base, start, we); nl >= 0 {
		we = nl
	}
	for i := range e.pos.markers {
		if e.pos.markers[i].next(buf, base, ws, we) >= 0 {
			return true
		}
	}
	return false
}

// seeker answers "first occurrence of pat starting at or after pos and
// ending by limit" for non-decreasing pos, remembering what it has searched
// so that each byte of the stream is looked at a bounded number of times.
type seeker struct {
	pat   []byte
	from  int64 // the last query's pos
	found int64 // first occurrence at or after from, or -1
	upto  int64 // when found < 0: no occurrence starts in [from, upto)
}

// next returns the absolute offset of the first occurrence of the pattern
// within [pos, limit), or -1. buf[0] is at absolute offset base and buf must
// hold [pos, limit).
func (s *seeker) next(buf []byte, base, pos, limit int64) int64 {
	if pos > s.from {
		s.from = pos
		if s.found >= 0 && s.found < pos {
			s.found = -1
			s.upto = pos
		}
		s.upto = max(s.upto, pos)
	}
	l := int64(len(s.pat))
	if s.found >= 0 {
		if s.found+l <= limit {
			return s.found
		}
		return -1
	}
	if s.upto+l > limit {
		return -1
	}
	if j := bytes.Index(buf[s.upto-base:limit-base], s.pat); j >= 0 {
		s.found = s.upto + int64(j)
		return s.found
	}
	s.upto = limit - l + 1
	return -1
}

// scanStream reads r in rounds. Each round's buffer holds, in order: kept
// history (allowWin bytes, for the inline-allow look-back), the region
// whose tokens are emitted this round, and a reserve (maxLen+allowWin+1
// bytes, or with the encoding layer decoder.ahead+allowWin+1) that lets
// every token starting in the region, encoded or not, its boundary byte
// and its allow window be seen whole. The next round's region starts where
// this one ended, so each token is reported exactly once.
//
// open, when not nil, is offered the stream's first bytes (one fill of the
// buffer, at least archive.HeadLen unless the stream is shorter) before any
// is scanned, with the rest of the stream (nil at its end); when it takes
// the stream (true), scanStream returns its error and scans nothing.
func (e *engine) scanStream(r io.Reader, open opener, fn func(Match) error) error {
	s := e.s
	if len(s.prefixes) == 0 && open == nil {
		_, err := io.Copy(io.Discard, r)
		return wrapRead(err)
	}
	keep, reserve := s.allowWin, s.maxLen+s.allowWin+1
	if s.dec != nil { // an encoded token is longer than the token
		reserve = max(s.maxLen, s.dec.ahead) + s.allowWin + 1
	}
	if size := keep + s.chunk + reserve; cap(e.buf) < size {
		e.buf = make([]byte, 0, size)
	}
	e.reset()
	buf, base, from := e.buf[:0], int64(0), 0
	for {
		var eof bool
		var err error
		buf, eof, err = fill(r, buf)
		if err != nil {
			return err
		}
		if open != nil {
			var rest io.Reader
			if !eof {
				rest = r
			}
			if took, err := open(buf, rest); took {
				return err
			}
			open = nil
		}
		to := len(buf) - reserve
		if eof {
			to = len(buf)
		}
		if to > from {
			e.base = base
			e.scanRegion(buf, from, to)
			if err := e.emit(buf, base, to, fn); err != nil {
				return err
			}
		}
		if eof {
			return e.decodeErr()
		}
		cut := max(to-keep, 0)
		n := copy(buf, buf[cut:])
		buf, base, from = buf[:n], base+int64(cut), to-cut
	}
}

// fill reads into buf until it is full or r is exhausted.
func fill(r io.Reader, buf []byte) ([]byte, bool, error) {
	for empty := 0; len(buf) < cap(buf); {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			return buf, true, nil
		case err != nil:
			return buf, false, wrapRead(err)
		case n == 0:
			if empty++; empty >= maxEmptyReads {
				return buf, false, wrapRead(io.ErrNoProgress)
			}
		default:
			empty = 0
		}
	}
	return buf, false, nil
}

func wrapRead(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("scan: read: %w", err)
}
