package scanner

import (
	"bytes"
	"unicode/utf16"

	"github.com/leakguard/leakguard/patterns"
)

func reference(c *patterns.Catalog, data []byte, allowWin int) []Match {
	out := append(referencePlain(c, data, allowWin), referenceEncoded(c, data, allowWin)...)
	sortMatches(out)
	return dedupe(out)
}

// referenceEncoded is the literal definition of the encoding layer
// (decode.go) that Reference adds: every maximal run of at least minRun
// encoded bytes that holds an encoded anchor (decode_anchor.go), decoded
// whole, every way that applies (decodings), and
// the decoded bytes searched with the plain reference and, once, for
// encoded runs again.
func referenceEncoded(c *patterns.Catalog, data []byte, allowWin int) []Match {
	d := referenceDecoder(c)
	if d == nil {
		return nil
	}
	var out []Match
	for _, r := range classRuns(d, data) {
		if !d.anchors().worth(data[r[0]:r[1]]) {
			continue
		}
		refDecodeRun(c, d, data, r[0], r[1], 0, func(tok []byte, start, end int, enc string, f *patterns.Format, p string) {
			line, col, col16 := locate(data, start)
			out = append(out, Match{
				Format: f, Prefix: p, Encoding: enc,
				Secret: patterns.NewSecret(string(tok)), Hash: patterns.HashBytes(tok),
				Offset: int64(start), Line: line, Column: col, Column16: col16,
				Allowed: allowedRef(data, start, end, allowWin),
			})
		})
	}
	return out
}

// referenceDecoder is the decoder a scanner of c has, or nil.
func referenceDecoder(c *patterns.Catalog) *decoder {
	pes := newEntries(c)
	if len(pes) == 0 {
		return nil
	}
	return decoderFor(pes, c.MaxLen(), 1<<62, false)
}

// classRuns lists the maximal runs of at least minRun encoded bytes.
func classRuns(d *decoder, b []byte) [][2]int {
	var out [][2]int
	for i := 0; i < len(b); {
		if !d.class[b[i]] {
			i++
			continue
		}
		j := i
		for j < len(b) && d.class[b[j]] {
			j++
		}
		if j-i >= d.minRun {
			out = append(out, [2]int{i, j})
		}
		i = j
	}
	return out
}

// refDecodeRun decodes b[rs:re] every way that applies and reports each
// token found, mapped back to b, with the encoding chain.
func refDecodeRun(c *patterns.Catalog, d *decoder, b []byte, rs, re, depth int,
	add func(tok []byte, start, end int, enc string, f *patterns.Format, p string)) {
	decodings(d, b, rs, re, func(dec []byte, m posMap, name string, escaped bool) {
		if len(dec) < d.minTok {
			return
		}
		for _, t := range referencePlain(c, dec, 0) {
			ts, te := int(t.Offset), int(t.Offset)+t.Secret.Len()
			s, e := m.at(ts), m.end(te)
			if escaped && e-s == te-ts {
				continue
			}
			add([]byte(t.Secret.Reveal()), s, e, name, t.Format, t.Prefix)
		}
		if depth+1 >= maxDecodeDepth {
			return
		}
		for _, r := range classRuns(d, dec) {
			if !d.anchors().worth(dec[r[0]:r[1]]) {
				continue
			}
			refDecodeRun(c, d, dec, r[0], r[1], depth+1, func(tok []byte, s, e int, enc string, f *patterns.Format, p string) {
				add(tok, m.at(s), m.end(e), name+"/"+enc, f, p)
			})
		}
	})
}

// decodings calls fn with every decoding of the run b[rs:re]: base64 of
// each maximal base64 run of at least minB64 characters on the grid of its
// start, and on that of its end when '=' padding follows and says
// otherwise; hex of such a run when it is all hex digits and at least
// 2*minTok long; and each kind of escape present, with at least one
// escape decoded.
func decodings(d *decoder, b []byte, rs, re int, fn func(dec []byte, m posMap, name string, escaped bool)) {
	for i := rs; i < re; {
		if d.b64[b[i]] == 0xff {
			i++
			continue
		}
		j := i
		for j < re && d.b64[b[j]] != 0xff {
			j++
		}
		if j-i >= d.minB64 {
			pad := 0
			for pad < 2 && j+pad < len(b) && b[j+pad] == '=' {
				pad++
			}
			fn(d.decodeBase64(nil, b[i:j]), posMap{kind: 'b', off: i}, "base64", false)
			if pad > 0 && (j-i+pad)%4 != 0 {
				g := i + ((j+pad-i)%4+4)%4
				fn(d.decodeBase64(nil, b[g:j]), posMap{kind: 'b', off: g}, "base64", false)
			}
			if j-i >= 2*d.minTok && allHex(b[i:j]) {
				fn(decodeHex(nil, b[i:j]), posMap{kind: 'h', off: i}, "hex", false)
			}
		}
		i = j
	}
	for _, k := range []int{escPercent, escBackslash, escHTML} {
		intro := map[int]byte{escPercent: '%', escBackslash: '\\', escHTML: '&'}[k]
		if bytes.IndexByte(b[rs:re], intro) < 0 {
			continue
		}
		dec, tab, n := unescape(k, nil, nil, b[rs:re], rs)
		if n > 0 {
			fn(dec, posMap{kind: 't', tab: tab}, escapeName(k), true)
		}
	}
}

// locate returns the 1-based line, byte column and UTF-16 column of
// data[start].
func locate(data []byte, start int) (int, int, int) {
	line := bytes.Count(data[:start], []byte{'\n'}) + 1
	lineStart := bytes.LastIndexByte(data[:start], '\n') + 1
	col16 := len(utf16.Encode([]rune(string(data[lineStart:start])))) + 1
	return line, start - lineStart + 1, col16
}
