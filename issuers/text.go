package issuers

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leakguard/leakguard/patterns"
)

// MaxText bounds the detail of Answer.Text, in bytes once escaped.
const MaxText = 200

// AnswerText renders Answer.Text from an answer's HTTP status and detail (a
// message the issuer put in its body; "" for none): "422 Unprocessable
// Entity: <detail>". The status text is the standard one, never the
// server's reason phrase. The detail has every token of sent replaced with
// patterns.Redacted, then is escaped (control and non-printable characters,
// backslashes, invalid UTF-8) and cut to MaxText bytes. Should any token of
// sent still show, the detail is dropped: a Text never holds a token.
func AnswerText(status int, detail string, sent []patterns.Secret) string {
	head := strconv.Itoa(status)
	if st := http.StatusText(status); st != "" {
		head += " " + st
	}
	for _, tok := range sent {
		if !tok.IsZero() {
			detail = strings.ReplaceAll(detail, tok.Reveal(), patterns.Redacted)
		}
	}
	detail = escapeCut(strings.TrimSpace(detail), MaxText)
	if detail == "" || strings.EqualFold(detail, head) {
		return head
	}
	text := head + ": " + detail
	for _, tok := range sent {
		if !tok.IsZero() && strings.Contains(text, tok.Reveal()) {
			return head + ": " + patterns.Redacted
		}
	}
	return text
}

// escapeCut escapes s (Go escapes for what is not printable, and for
// backslashes) and cuts it, at a character boundary, to at most max bytes
// plus an ellipsis.
func escapeCut(s string, max int) string {
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		var e string
		switch {
		case r == utf8.RuneError && size == 1:
			e = `\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:]
		case r == '\\':
			e = `\\`
		case unicode.IsPrint(r):
			e = s[i : i+size]
		default:
			q := strconv.QuoteRuneToASCII(r)
			e = q[1 : len(q)-1]
		}
		if b.Len()+len(e) > max {
			b.WriteString("\u2026")
			break
		}
		b.WriteString(e)
	}
	return b.String()
}
