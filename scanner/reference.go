package scanner

import (
	"bytes"
	"sort"
	"unicode/utf16"

	"github.com/leakguard/leakguard/patterns"
)

// Reference is the slow, obviously-correct scanner the fast path is checked
// against (FuzzScan's oracle). It tries every prefix of every format at every
// occurrence, and every signature at every occurrence, and applies
// docs/token-format.md#boundaries literally.
func Reference(c *patterns.Catalog, data []byte) []Match {
	return reference(c, data, AllowWindow)
}

// referencePlain is Reference without the encoding layer.
func referencePlain(c *patterns.Catalog, data []byte, allowWin int) []Match {
	var out []Match
	for _, f := range c.Formats() {
		if f.HasSignature() {
			for off := 0; ; {
				i := bytes.Index(data[off:], []byte(f.Signature.Text))
				if i < 0 {
					break
				}
				off += i + 1
				if m, ok := signatureMatchAt(f, data, off-1); ok {
					m.Allowed = allowedRef(data, int(m.Offset), int(m.Offset)+m.Secret.Len(), allowWin)
					out = append(out, m)
				}
			}
		}
		for _, p := range f.Prefixes {
			for off := 0; ; {
				i := bytes.Index(data[off:], []byte(p))
				if i < 0 {
					break
				}
				start := off + i
				off = start + 1
				if m, ok := matchAt(f, p, data, start); ok {
					m.Allowed = allowedRef(data, start, start+m.Secret.Len(), allowWin)
					out = append(out, m)
				}
			}
		}
	}
	sortMatches(out)
	return dedupe(out)
}

// matchAt checks for a token of f with prefix p at data[start:]: the maximal
// run of alphabet characters after the prefix, with the format's padding
// when it follows whole, must be a valid tail.
func matchAt(f *patterns.Format, p string, data []byte, start int) (Match, bool) {
	tailStart := start + len(p)
	end := tailStart
	for end < len(data) && end-tailStart <= f.TailMax() && f.InAlphabet(data[end]) {
		end++
	}
	if pad := f.Padding(); pad != "" && bytes.HasPrefix(data[end:], []byte(pad)) {
		end += len(pad)
	}
	if !f.ValidTail(p, data[tailStart:end]) {
		return Match{}, false
	}
	return matchOf(f, p, data, start, end), true
}

// signatureMatchAt checks for a token of the signature format f around the
// signature at data[at:]: the token is the whole run of alphabet characters
// it sits in (with the padding when it follows whole) and must be valid,
// the signature at its place included.
func signatureMatchAt(f *patterns.Format, data []byte, at int) (Match, bool) {
	start, end := at, at
	for start > 0 && f.InAlphabet(data[start-1]) {
		start--
	}
	for end < len(data) && f.InAlphabet(data[end]) {
		end++
	}
	if pad := f.Padding(); pad != "" && bytes.HasPrefix(data[end:], []byte(pad)) {
		end += len(pad)
	}
	if !f.ValidTail("", data[start:end]) {
		return Match{}, false
	}
	return matchOf(f, "", data, start, end), true
}

// matchOf is the Match of the token data[start:end].
func matchOf(f *patterns.Format, p string, data []byte, start, end int) Match {
	tok := data[start:end]
	line := bytes.Count(data[:start], []byte{'\n'}) + 1
	lineStart := bytes.LastIndexByte(data[:start], '\n') + 1
	col := start - lineStart + 1
	col16 := len(utf16.Encode([]rune(string(data[lineStart:start])))) + 1
	return Match{
		Format: f, Prefix: p,
		Secret: patterns.NewSecret(string(tok)), Hash: patterns.HashBytes(tok),
		Offset: int64(start), Line: line, Column: col, Column16: col16,
	}
}

func sortMatches(ms []Match) {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Offset != ms[j].Offset {
			return ms[i].Offset < ms[j].Offset
		}
		return ms[i].Format.ID < ms[j].Format.ID
	})
}

// dedupe drops a match at the same offset as the previous one: when two
// prefixes overlap ("gh" vs "ghp_") only the first sorted one is kept.
func dedupe(ms []Match) []Match {
	out := ms[:0]
	for i, m := range ms {
		if i > 0 && m.Offset == ms[i-1].Offset {
			continue
		}
		out = append(out, m)
	}
	return out
}

// allowedRef is the literal inline-allow rule: the match's line runs from
// the byte after the last '\n' before start to the first '\n' at or after
// start; the window is that line clipped to allowWin bytes before start and
// after end; the match is allowed when a marker lies wholly inside it.
func allowedRef(data []byte, start, end, allowWin int) bool {
	ws := max(bytes.LastIndexByte(data[:start], '\n')+1, start-allowWin)
	we := min(end+allowWin, len(data))
	if nl := bytes.IndexByte(data[start:we], '\n'); nl >= 0 {
		we = start + nl
	}
	win := data[ws:we]
	return bytes.Contains(win, []byte(MarkerLeakguard)) || bytes.Contains(win, []byte(MarkerGitleaks))
}
