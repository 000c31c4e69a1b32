package diff

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// collect parses input and returns its blocks as "path:line:commit:author:data".
func collect(t *testing.T, input string, o Options) ([]string, error) {
	t.Helper()
	var got []string
	err := ParseOptions(strings.NewReader(input), o, func(b Block) error {
		got = append(got, fmt.Sprintf("%s:%d:%s:%s:%q", b.Path, b.Line, b.Commit, b.Author, b.Data))
		return nil
	})
	return got, err
}

const sha1 = "0123456789abcdef0123456789abcdef01234567"

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		want        []string
	}{
		{"git diff", "diff --git a/x.txt b/x.txt\nindex 1..2 100644\n--- a/x.txt\n+++ b/x.txt\n@@ -1,3 +1,4 @@\n a\n+new1\n+new2\n b\n-c\n",
			[]string{`x.txt:2:::"new1\nnew2\n"`}},
		{"two runs in one hunk", "--- a/x\n+++ b/x\n@@ -10,2 +10,4 @@ func f() {\n+p\n ctx\n+q\n-r\n+s\n",
			[]string{`x:10:::"p\n"`, `x:12:::"q\n"`, `x:13:::"s\n"`}},
		{"new file, omitted counts", "diff --git a/n b/n\nnew file mode 100644\n--- /dev/null\n+++ b/n\n@@ -0,0 +1 @@\n+only\n",
			[]string{`n:1:::"only\n"`}},
		{"deleted file", "--- a/gone\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n", nil},
		{"no newline at end", "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n",
			[]string{`f:1:::"new\n"`}},
		{"crlf", "--- a/f\r\n+++ b/f\r\n@@ -1 +1,2 @@\r\n ctx\r\n+tok\r\n",
			[]string{`f:2:::"tok\n"`}},
		{"quoted path", "diff --git \"a/na\\303\\257ve \\\"q\\\".txt\" \"b/na\\303\\257ve \\\"q\\\".txt\"\n--- /dev/null\n+++ \"b/na\\303\\257ve \\\"q\\\".txt\"\t\n@@ -0,0 +1 @@\n+x\n",
			[]string{"na\u00efve \"q\".txt:1:::\"x\\n\""}},
		{"diff -u with timestamps", "--- old/f.txt\t2024-01-01 00:00:00\n+++ new/f.txt\t2024-01-02 00:00:00\n@@ -1 +1 @@\n-a\n+b\n",
			[]string{`new/f.txt:1:::"b\n"`}},
		{"rename", "diff --git a/old b/new\nsimilarity index 90%\nrename from old\nrename to new\n--- a/old\n+++ b/new\n@@ -3 +3,2 @@\n k\n+added\n",
			[]string{`new:4:::"added\n"`}},
		{"binary and mode change skipped", "diff --git a/b.bin b/b.bin\nBinary files a/b.bin and b/b.bin differ\ndiff --git a/m b/m\nold mode 100644\nnew mode 100755\n", nil},
		{"git log -p", "commit " + sha1 + " (HEAD -> main)\nAuthor: Ada <ada@example.org>\nDate:   now\n\n    msg\n    +not a diff line\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+t\n\ncommit " + strings.Repeat("f", 40) + "\nAuthor: Bob <bob@example.org>\n\ndiff --git a/g b/g\n--- /dev/null\n+++ b/g\n@@ -0,0 +1 @@\n+u\n",
			[]string{`f:1:` + sha1 + `:ada@example.org:"t\n"`, `g:1:` + strings.Repeat("f", 40) + `:bob@example.org:"u\n"`}},
		{"format-patch", "From " + sha1 + " Mon Sep 17 00:00:00 2001\nFrom: Ada <ada@example.org>\nSubject: x\n---\n f | 1 +\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,0 +2 @@\n+v\n-- \n2.40\n",
			[]string{`f:2:` + sha1 + `:ada@example.org:"v\n"`}},
		{"empty context line", "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n\n-c\n+d\n",
			[]string{`f:3:::"d\n"`}},
		{"empty input", "", nil},
		{"not a diff", "hello\nworld\n+plus outside a hunk\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := collect(t, tt.input, Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if g, w := strings.Join(got, "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("blocks:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, input, wantErr string }{
		{"truncated hunk", "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n", "truncated hunk"},
		{"too many added lines", "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n", ""},
		{"garbage in hunk", "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n?x\n", "unexpected line in hunk"},
		{"bad header", "--- a/f\n+++ b/f\n@@ -x +1 @@\n", "bad hunk header"},
		{"no closing @@", "--- a/f\n+++ b/f\n@@ -1 +1\n", "no closing @@"},
		{"huge number", "--- a/f\n+++ b/f\n@@ -1 +99999999999999999999 @@\n", "bad hunk header"},
		{"hunk without file", "@@ -1 +1 @@\n-a\n+b\n", "without a file header"},
		{"next file inside hunk", "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n a\ndiff --git a/g b/g\n", "unexpected line in hunk"},
		{"line too long", "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+" + strings.Repeat("x", 200) + "\n", "longer than 100 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := collect(t, tt.input, Options{MaxLine: 100})
			if tt.wantErr == "" {
				// surplus lines after a complete hunk are outside it: skipped
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrMalformed containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseBlockSplit(t *testing.T) {
	t.Parallel()
	input := "--- a/f\n+++ b/f\n@@ -0,0 +1,4 @@\n+aaaa\n+bbbb\n+cccc\n+dddd\n"
	got, err := collect(t, input, Options{MaxBlock: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`f:1:::"aaaa\nbbbb\n"`, `f:3:::"cccc\ndddd\n"`}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("blocks:\n%s\nwant:\n%s", g, w)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	readErr := errors.New("disk on fire")
	err := Parse(iotest.ErrReader(readErr), func(Block) error { return nil })
	if !errors.Is(err, readErr) {
		t.Errorf("read error = %v, want %v", err, readErr)
	}
	stop := errors.New("stop")
	input := "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n"
	if err := Parse(strings.NewReader(input), func(Block) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error = %v, want %v", err, stop)
	}
	// a one-byte reader exercises the line reader's long-line path
	got := 0
	long := "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+" + strings.Repeat("y", 200000) + "\n"
	if err := Parse(io.MultiReader(strings.NewReader(long)), func(b Block) error { got = len(b.Data); return nil }); err != nil || got != 200001 {
		t.Errorf("long line: %d bytes, err %v", got, err)
	}
}

// FuzzParseDiff checks that Parse never panics or hangs, and that every
// block it reports is well formed.
func FuzzParseDiff(f *testing.F) {
	f.Add("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n+b\n c\n")
	f.Add("commit " + sha1 + "\nAuthor: A <a@b>\n\n--- /dev/null\n+++ \"b/q\\303\"\n@@ -0,0 +1 @@\n+x\r\n\\ No newline at end of file\n")
	f.Add("--- a/f\n+++ b/f\n@@ -1 +1 @@\n")
	f.Add("diff --git \"a/x\" \"b/y\nrename to \"z\\\n@@ -0,0 +1,1000000000000 @@\n+")
	f.Fuzz(func(t *testing.T, input string) {
		_ = ParseOptions(strings.NewReader(input), Options{MaxLine: 1 << 16, MaxBlock: 64}, func(b Block) error {
			if b.Line < 1 {
				t.Fatalf("block at line %d", b.Line)
			}
			if len(b.Data) == 0 || b.Data[len(b.Data)-1] != '\n' {
				t.Fatalf("block data %q not ended by a newline", b.Data)
			}
			if b.Lines() > len(input) {
				t.Fatalf("more lines than input bytes")
			}
			return nil
		})
	})
}
