package diff

import (
	"fmt"
	"strings"
	"testing"
)

// render builds a git diff of one file from ops (' ' context, '+' added,
// '-' removed), split into hunks at '|', and returns the added lines with
// their new-file numbers ("n:text").
func render(ops string, crlf bool) (diffText string, added []string) {
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	var b strings.Builder
	b.WriteString("diff --git a/f.txt b/f.txt" + eol + "--- a/f.txt" + eol + "+++ b/f.txt" + eol)
	oldN, newN := 1, 1
	for _, hunk := range strings.Split(ops, "|") {
		var body strings.Builder
		oldC, newC, oldStart, newStart := 0, 0, oldN, newN
		for i, op := range hunk {
			text := fmt.Sprintf("line %d %c", i, op)
			switch op {
			case ' ':
				oldC, newC, oldN, newN = oldC+1, newC+1, oldN+1, newN+1
			case '-':
				oldC, oldN = oldC+1, oldN+1
			case '+':
				added = append(added, fmt.Sprintf("%d:%s", newN, text))
				newC, newN = newC+1, newN+1
			default:
				continue
			}
			body.WriteString(string(op) + text + eol)
		}
		if oldC == 0 && newC == 0 {
			continue
		}
		if oldC == 0 {
			oldStart--
		}
		if newC == 0 {
			newStart--
		}
		fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@ ctx%s%s", oldStart, oldC, newStart, newC, eol, body.String())
		oldN, newN = oldN+3, newN+3 // unchanged lines between hunks
	}
	return b.String(), added
}

// FuzzParseDiffRoundTrip renders random well-formed diffs and checks that
// Parse reports exactly their added lines at their new-file numbers.
func FuzzParseDiffRoundTrip(f *testing.F) {
	f.Add(" +-+  |+++|--- +", false, 7)
	f.Add("+", true, 1)
	f.Add("-|-| ", false, 3)
	f.Fuzz(func(t *testing.T, ops string, crlf bool, maxBlock int) {
		text, want := render(ops, crlf)
		var got []string
		err := ParseOptions(strings.NewReader(text), Options{MaxBlock: 1 + abs(maxBlock)%200}, func(b Block) error {
			if b.Path != "f.txt" {
				t.Fatalf("path %q", b.Path)
			}
			for i, line := range strings.Split(strings.TrimSuffix(string(b.Data), "\n"), "\n") {
				got = append(got, fmt.Sprintf("%d:%s", b.Line+i, line))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Parse: %v\n%s", err, text)
		}
		if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
			t.Fatalf("added lines:\n%s\nwant:\n%s\ndiff:\n%s", g, w, text)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
