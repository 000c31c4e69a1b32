package report

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/scanner"
)

// TestSink: duplicates are dropped; JSON Lines to stdout stream batch by
// batch with each commit right after its batch; other reports are written
// at Flush, before every commit, text paths led by the repository.
func TestSink(t *testing.T) {
	t.Parallel()
	a := scanner.Finding{Rule: "r", TokenHash: "aa", Repository: "acme/b", Path: "x.txt", Line: 1, Column: 2}
	b := scanner.Finding{Rule: "r", TokenHash: "bb", Repository: "acme/a", Path: "y.txt", Line: 3, Column: 4}
	tests := []struct {
		name      string
		format    string
		toFile    bool
		wantLines int // lines written before Flush
		wantIn    string
	}{
		{"json streams", FormatJSON, false, 2, `"token_hash":"aa"`},
		{"json to a file waits", FormatJSON, true, 0, `"token_hash":"bb"`},
		{"text waits", FormatText, false, 0, "acme/a/y.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, file bytes.Buffer
			var log []string // writes and commits, in order
			o := SinkOptions{Format: tt.format, Stdout: &stdout}
			if tt.toFile {
				o.Output = func(write func(io.Writer) error) error {
					log = append(log, "write")
					return write(&file)
				}
			}
			s := NewSink(o)
			commit := func(name string) func() error {
				return func() error { log = append(log, name); return nil }
			}
			for i, fs := range [][]scanner.Finding{{a}, {b, a}, {a}} {
				if err := s.Add(fs, commit(string(rune('1'+i)))); err != nil {
					t.Fatal(err)
				}
			}
			if got := strings.Count(stdout.String(), "\n"); got != tt.wantLines {
				t.Errorf("%d lines before Flush, want %d", got, tt.wantLines)
			}
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			out := stdout.String() + file.String()
			if !strings.Contains(out, tt.wantIn) {
				t.Errorf("report lacks %q:\n%s", tt.wantIn, out)
			}
			if n := strings.Count(out, "aa"); tt.format == FormatJSON && n != 1 {
				t.Errorf("finding aa reported %d times, want once:\n%s", n, out)
			}
			if tt.toFile && (len(log) == 0 || log[0] != "write") {
				t.Errorf("order %v: commits ran before the report was written", log)
			}
			if got := len(log); got < 3 {
				t.Errorf("log %v: want every commit run", log)
			}
		})
	}
}
