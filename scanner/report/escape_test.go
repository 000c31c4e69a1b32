package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/leakguard/leakguard/scanner"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ASCII", "alice@example.org ci-deploy", "alice@example.org ci-deploy"},
		{"accents, CJK, emoji", "Zoë Ångström 東京 🚀 naïve", "Zoë Ångström 東京 🚀 naïve"},
		{"backslash kept", `C:\build\x1b`, `C:\build\x1b`},
		{"ESC sequence", "a\x1b[31mred\x1b[0m", `a\x1b[31mred\x1b[0m`},
		{"BEL, NUL, DEL", "\a\x00\x7f", `\a\x00\x7f`},
		{"CR and LF forge rows", "ok\r\nlgu_x  active", `ok\r\nlgu_x  active`},
		{"tab", "a\tb", `a\tb`},
		{"C1 controls (CSI, NEL)", "\u009b31m\u0085", `\u009b31m\u0085`},
		{"bidi override", "txt.\u202eexe", `txt.\u202eexe`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`},
		{"embeddings and marks", "\u202a\u202b\u202c\u202d\u200e\u200f\u061c", `\u202a\u202b\u202c\u202d\u200e\u200f\u061c`},
		{"zero-width and BOM", "a\u200bb\u200cc\u200dd\ufeff", `a\u200bb\u200cc\u200dd\ufeff`},
		{"line and paragraph separators", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"tag characters", "flag\U000e0041", `flag\U000e0041`},
		{"invalid UTF-8", "bad\xff\xc3(", `bad\xff\xc3(`},
		{"truncated rune", "\xe6\x9d", `\xe6\x9d`},
		{"U+FFFD itself is text", "\ufffd", "\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"src/app.py", `"src/app.py"`},
		{"a\nb.txt", `"a\nb.txt"`},
		{"bad\xff.txt", `"bad\xff.txt"`},
		{`say "hi"\`, `"say \"hi\"\\"`},
		{"txt.\u202eexe", `"txt.\u202eexe"`},
		{"東京\x1b", `"東京\x1b"`},
	}
	for _, tt := range tests {
		got := Quote(tt.in)
		if got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := strconv.Unquote(got); err != nil || back != tt.in {
			t.Errorf("Quote(%q) = %q does not unquote back (%q, %v)", tt.in, got, back, err)
		}
	}
}

// unsafeRune reports a rune that must never reach a terminal raw: what
// Escape promises to escape.
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b[2Jb", "\u202e\u2066\ufeff", "\xff\xfe", "\\x1b", "東京🚀", "\u009b", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, got := range []string{Escape(s), Quote(s)} {
			if !utf8.ValidString(got) {
				t.Fatalf("%q: output %q is not valid UTF-8", s, got)
			}
			if i := strings.IndexFunc(got, unsafeRune); i >= 0 {
				t.Fatalf("%q: output %q holds %U", s, got, []rune(got[i:])[0])
			}
		}
		if NeedsEscape(s) != (Escape(s) != s) {
			t.Fatalf("%q: NeedsEscape %v, but Escape gives %q", s, NeedsEscape(s), Escape(s))
		}
		if back, err := strconv.Unquote(Quote(s)); err != nil || back != s {
			t.Fatalf("%q: Quote gives %q, which unquotes to %q (%v)", s, Quote(s), back, err)
		}
	})
}

// hostileFindings are findings whose path and author (both chosen by
// whoever wrote the scanned repository) try to drive the terminal.
func hostileFindings(t *testing.T) []scanner.Finding {
	t.Helper()
	fs, _ := testFindings(t, testCatalog(t))
	out := []scanner.Finding{fs[1], fs[2]}
	out[0].Path = "src/\x1b]0;owned\a\x1b[2J.py"
	out[1].Path = "deploy/invoice\u202etxt.exe"
	out[1].Author = "Mallory\r\n./fake.py:1:1  github-pat  ghp_…AAAA  000000000000  revoked <m@example.org>"
	return out
}

func TestTextEscapesHostileStrings(t *testing.T) {
	t.Parallel()
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteText(&buf, hostileFindings(t), Options{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if color {
			// the report's own colours are the only escape sequences
			for _, c := range []string{ansiReset, ansiBold, ansiDim, ansiRed, ansiGreen, ansiYellow, ansiCyan} {
				out = strings.ReplaceAll(out, c, "")
			}
		}
		if n := strings.Count(out, "\n"); n != 2 || !strings.HasSuffix(out, "\n") {
			t.Errorf("colour %v: %d lines, want 2:\n%s", color, n, out)
		}
		if i := strings.IndexFunc(strings.ReplaceAll(out, "\n", ""), unsafeRune); i >= 0 {
			t.Errorf("colour %v: output holds a raw control or format character: %q", color, out)
		}
		if !color {
			golden(t, "hostile.txt", buf.Bytes())
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, hostileFindings(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "hostile.jsonl", buf.Bytes()) // JSON escapes what it must itself; unchanged
}
