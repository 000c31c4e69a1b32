package store

import (
	"fmt"
	"unicode/utf8"
)

// Bounds of stored text, in bytes. Callers that take text from people
// (package lifecycle) keep tighter bounds of their own.
const (
	// MaxLabelLen bounds a label: owner, name, type, ids, actor, stage.
	MaxLabelLen = 200
	// MaxTextLen bounds free text: reasons, sources, event details.
	MaxTextLen = 4096
)

// TextError says why a text field cannot be stored. It names the field and
// the problem (an offending character by its code point), never the value,
// which may hold anything, a pasted token included. It wraps ErrInvalid.
type TextError struct {
	Field   string // "owner", "reason", ...
	Problem string // "contains control character U+0000", ...
}

// Error returns "invalid request: <field> <problem>".
func (e *TextError) Error() string { return ErrInvalid.Error() + ": " + e.Message() }

// Message returns "<field> <problem>", for callers that report the error
// under their own kind (the HTTP API's bad_request).
func (e *TextError) Message() string { return e.Field + " " + e.Problem }

// Unwrap returns ErrInvalid.
func (e *TextError) Unwrap() error { return ErrInvalid }

// CheckLabel returns a *TextError unless s is a label every adapter stores
// as given and every screen shows as one line that means what it reads:
// valid UTF-8, at most max bytes (0: MaxLabelLen), and none of
//   - C0 controls U+0000–U+001F, TAB, CR and LF included, and DEL U+007F:
//     PostgreSQL cannot store NUL, a line break or ESC forges lines and
//     terminal escapes in `token list` and logs read in a terminal, and a
//     TAB shifts the columns of `token list`'s table;
//   - C1 controls U+0080–U+009F (U+009B is a one-character CSI escape);
//   - U+2028 and U+2029, line breaks to JavaScript and some log viewers;
//   - the bidi embedding, override and isolate controls U+202A–U+202E and
//     U+2066–U+2069, which reorder what is displayed ("Trojan Source",
//     CVE-2021-42574): an owner could read as someone else.
//
// Letters of any script, combining marks, emoji and joiners (U+200D) are
// labels like any other.
func CheckLabel(field, s string, max int) error {
	return checkText(field, s, orMax(max, MaxLabelLen), refusedInLabel)
}

// CheckText returns a *TextError unless s is free text every adapter
// stores as given: valid UTF-8, at most max bytes (0: MaxTextLen), and no
// C0 control (U+0000–U+001F, TAB, CR and LF included) nor DEL. It keeps
// what CheckLabel refuses only for display (C1 controls, U+2028/U+2029,
// bidi controls): the revoker writes reasons that quote the path or URL a
// token leaked at, and a leak must be revocable whatever its file is
// called. Reasons typed by people go through CheckLabel (package lifecycle).
func CheckText(field, s string, max int) error {
	return checkText(field, s, orMax(max, MaxTextLen), refusedInText)
}

func orMax(max, def int) int {
	if max <= 0 {
		return def
	}
	return max
}

// checkText is CheckLabel and CheckText with the characters refused.
func checkText(field, s string, max int, refused func(rune) string) error {
	if len(s) > max {
		return &TextError{Field: field, Problem: fmt.Sprintf("is longer than %d bytes", max)}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f { // printable ASCII, nearly every byte
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return &TextError{Field: field, Problem: "is not valid UTF-8"}
		}
		if what := refused(r); what != "" {
			return &TextError{Field: field, Problem: fmt.Sprintf("contains %s U+%04X", what, r)}
		}
		i += n
	}
	return nil
}

// refusedInText names the class of r if free text may not hold it.
func refusedInText(r rune) string {
	if r < 0x20 || r == 0x7f {
		return "control character"
	}
	return ""
}

// refusedInLabel names the class of r if a label may not hold it.
func refusedInLabel(r rune) string {
	switch {
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return "control character"
	case r == 0x2028 || r == 0x2029:
		return "line separator"
	case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return "bidirectional control"
	}
	return ""
}

// CleanLabel returns s without what CheckLabel refuses in it: invalid
// UTF-8 bytes and control, line separator and bidi characters are dropped
// (its length is the caller's to bound). It is for text quoted from
// elsewhere that must be kept rather than refused, such as the path or URL
// a token leaked at, quoted in the revocation reason.
func CleanLabel(s string) string {
	if checkText("", s, len(s), refusedInLabel) == nil {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && n <= 1) && refusedInLabel(r) == "" {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
