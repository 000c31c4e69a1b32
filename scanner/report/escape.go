package report

import (
	"unicode"
	"unicode/utf8"
)

// Human-readable output is printed on terminals, and much of what it shows
// was chosen by someone else: file names in a scanned repository, commit
// authors, token owners, names and revocation reasons sent to the API.
// Printed raw, an escape sequence in them can rewrite the screen or the
// window title, CR/LF can forge lines and table rows, and a bidi override
// can make "invoice<U+202E>txt.exe" read as "invoiceexe.txt". Every text
// writer passes such strings through Escape (or Quote); JSON and SARIF
// escape what they must themselves and are left alone.

// Escape returns s with every character that a terminal would act on or
// hide rendered as a visible Go-style escape: C0 controls and DEL (`\n`,
// `\t`, `\x1b`, `\x7f`), C1 controls (`\u009b`), bidi controls, zero-width
// and other invisible format characters (`\u202e`, `\u2066`, `\u200b`,
// `\ufeff`), the line and paragraph separators, and each byte of invalid
// UTF-8 (`\xff`). Everything else, accents, CJK and emoji included, is
// unchanged, and so is a backslash: the result is for people to read (see
// Quote for a form that can be read back).
func Escape(s string) string {
	if !NeedsEscape(s) {
		return s
	}
	return string(appendEscaped(make([]byte, 0, len(s)+16), s, false))
}

// Quote returns s in double quotes, escaped as Escape does and with `"`
// and `\` escaped too: a Go string literal (strconv.Unquote reads it
// back) that shows ordinary text as it is.
func Quote(s string) string {
	b := make([]byte, 0, len(s)+16)
	b = append(b, '"')
	b = appendEscaped(b, s, true)
	return string(append(b, '"'))
}

// NeedsEscape reports whether Escape would change s.
func NeedsEscape(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 || escapedRune(r) { // size 1 here: an invalid byte
			return true
		}
		i += size
	}
	return false
}

// escapedRune reports whether a non-ASCII rune is shown as an escape: a C1
// control, a format character (Cf: bidi controls, zero-width characters,
// the byte-order mark, tag characters) or a line or paragraph separator.
func escapedRune(r rune) bool {
	return r < 0xa0 || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends s to b as Escape (quote false) or Quote (quote
// true, without the quotes) render it.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case quote && (c == '"' || c == '\\'):
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = appendControl(b, c)
			default:
				b = append(b, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case size == 1:
			b = appendHexByte(b, c)
		case escapedRune(r):
			b = appendRune(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// controlEscapes are the short escapes of the ASCII controls that have one.
var controlEscapes = [utf8.RuneSelf]string{
	'\a': `\a`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\v': `\v`,
}

// appendControl appends an ASCII control character's escape: its short
// form, else \xXX.
func appendControl(b []byte, c byte) []byte {
	if e := controlEscapes[c]; e != "" {
		return append(b, e...)
	}
	return appendHexByte(b, c)
}

// appendHexByte appends \xXX.
func appendHexByte(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendRune appends \uXXXX, or \UXXXXXXXX beyond the BMP.
func appendRune(b []byte, r rune) []byte {
	digits, shift := byte('u'), 12
	if r > 0xffff {
		digits, shift = 'U', 28
	}
	b = append(b, '\\', digits)
	for ; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[r>>uint(shift)&0xf])
	}
	return b
}
