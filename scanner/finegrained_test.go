package scanner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

// Parts of fake GitHub fine-grained tokens: github_pat_, 22 alphanumerics,
// '_', 59 alphanumerics.
const (
	fgHead  = "LeakguardScanFixture01"                                      // 22
	fgTail  = "LeakguardScanFixtureFineGrainedPat0123456789012345678901234" // 59
	fgHead2 = "11LeakguardScanFixture"
)

// fgToken builds a fine-grained token from its two parts.
func fgToken(head, tail string) string { return "github_pat_" + head + "_" + tail }

// fineGrainedCase is one fixture file under testdata/finegrained and the
// findings (line:column rule) a scan of it must report.
type fineGrainedCase struct {
	file    string
	content string
	want    []string
}

// fineGrainedCases are written to testdata/finegrained by
// UPDATE_GOLDEN=1 go test -run TestScanFineGrainedFixtures.
func fineGrainedCases(tb testing.TB) []fineGrainedCase {
	tb.Helper()
	tp, tp2 := fgToken(fgHead, fgTail), fgToken(fgHead2, fgTail)
	const rule = " github-fine-grained-pat"
	return []fineGrainedCase{
		{"env.txt", "GITHUB_TOKEN=" + tp + "\n", []string{"1:14" + rule}},
		{"app.py", "import os\n\n# naïve client\nclient = Github(auth=\"" + tp2 + "\")\n",
			[]string{"4:23" + rule}},
		{"ci.yml", "jobs:\n  build:\n    env:\n      GH_TOKEN: " + tp + "\n      URL: https://x/?t%3D" + tp2 + "&y=1\n",
			[]string{"4:17" + rule, "5:27" + rule}},
		{"sentence.md", "Use " + tp + ". Or " + tp2 + ", or " + tp + "\n",
			[]string{"1:5" + rule, "1:103" + rule, "1:201" + rule}},
		{"neighbours.txt", "ghp=" + token(tb, "github-pat", body30) + " fg=" + tp + "\n",
			[]string{"1:5 github-pat", "1:49" + rule}},
		{"lookalikes.txt", strings.Join([]string{
			fgToken(fgHead[1:], fgTail),                  // first part 21
			fgToken(fgHead+"A", fgTail),                  // first part 23
			fgToken(fgHead, fgTail[1:]),                  // second part 58
			tp + "0",                                     // an alphanumeric glued on
			tp + "_",                                     // '_' glued on
			tp + "_x",                                    // '_' and more glued on
			"github_pat_" + fgHead + "A" + fgTail,        // no '_'
			"github_pat_" + fgHead[1:] + "_A" + fgTail,   // '_' at 21
			"github_pat_" + fgHead + "A_" + fgTail[1:],   // '_' at 23
			fgToken(fgHead, fgTail[:29]+"_"+fgTail[30:]), // a second '_'
			fgToken(fgHead, fgTail[:29]+"-"+fgTail[30:]), // '-' inside
			"GITHUB_PAT_" + fgHead + "_" + fgTail,        // upper-case prefix
			"github_pat_" + strings.Repeat("_", 82),      // underscores only
			"github_pat_ github_pat_" + fgHead + "_",     // prefixes only
			"github_pat_" + strings.Repeat("A", 36),      // classic shape
		}, "\n") + "\n", nil},
	}
}

// TestScanFineGrainedFixtures scans each fixture file and checks its
// findings, their validation, and the fast paths against Reference.
func TestScanFineGrainedFixtures(t *testing.T) {
	t.Parallel()
	root := filepath.Join("testdata", "finegrained")
	c := patterns.Default()
	s := New(c)
	for _, tc := range fineGrainedCases(t) {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(root, tc.file)
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				writeFile(t, p, tc.content)
			}
			if b, err := os.ReadFile(p); err != nil || string(b) != tc.content {
				t.Fatalf("fixture %s is stale (err %v); regenerate with UPDATE_GOLDEN=1", tc.file, err)
			}
			var lines []string
			err := s.ScanPaths(context.Background(), []string{p}, WalkOptions{}, func(f Finding) error {
				lines = append(lines, fmt.Sprintf("%d:%d %s", f.Line, f.Column, f.Rule))
				want := patterns.ValidationChecksum
				if f.Rule == "github-fine-grained-pat" {
					want = patterns.ValidationStructure
				}
				if f.Validation != want {
					t.Errorf("%d:%d %s: validation %q, want %q", f.Line, f.Column, f.Rule, f.Validation, want)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("ScanPaths: %v", err)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", lines, tc.want)
			}
			checkAgainstReference(t, c, []byte(tc.content), variants(false))
		})
	}
}

// TestScanFineGrainedBoundaries: the boundary rule with '_' in the
// alphabet, token by token.
func TestScanFineGrainedBoundaries(t *testing.T) {
	t.Parallel()
	tp := fgToken(fgHead, fgTail)
	tests := []struct {
		name string
		in   string
		want []int // columns of github-fine-grained-pat matches on line 1
	}{
		{"alone", tp, []int{1}},
		{"quoted", `"` + tp + `"`, []int{2}},
		{"letters before", "abc" + tp, []int{4}},
		{"underscore before", "x_" + tp, []int{3}},
		{"dot after", tp + ".", []int{1}},
		{"dash after", tp + "-", []int{1}},
		{"underscore after", tp + "_", nil},
		{"letter after", tp + "a", nil},
		{"two, space", tp + " " + tp, []int{1, len(tp) + 2}},
		// The first run is too long; what stands before a prefix does not
		// matter, so the second is a token.
		{"two, glued", tp + tp, []int{len(tp) + 1}},
		{"crlf", tp + "\r\n", []int{1}},
		{"multibyte before", "é=" + tp, []int{4}},
	}
	s := New(patterns.Default())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cols []int
			for _, g := range scanBytes(t, s, []byte(tt.in)) {
				if g.ID != "github-fine-grained-pat" || g.Line != 1 || len(g.Token) != len(tp) {
					t.Errorf("unexpected match %v", g)
				}
				cols = append(cols, g.Column)
			}
			if fmt.Sprint(cols) != fmt.Sprint(tt.want) {
				t.Errorf("columns %v, want %v", cols, tt.want)
			}
			checkAgainstReference(t, patterns.Default(), []byte(tt.in), variants(false))
		})
	}
}
