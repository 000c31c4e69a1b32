package gitsource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

func scanStaged(t *testing.T, dir string, files ...string) []scanner.Finding {
	t.Helper()
	return collect(t, func(emit func(scanner.Finding) error) error {
		return ScanStaged(ctx(t), StagedOptions{Repo: dir, Files: files}, newScanner(), emit)
	})
}

func TestScanStaged(t *testing.T) {
	t.Parallel()
	old, fresh, unstaged, removed, moved := token(t, "old"), token(t, "fresh"), token(t, "unstaged"),
		token(t, "removed"), token(t, "moved")
	for _, tc := range []struct {
		name  string
		setup func(r *testRepo)
		want  map[key]int
	}{
		{"added file", func(r *testRepo) {
			r.write("new.txt", "a\n"+fresh+"\n")
			r.git("add", "new.txt")
		}, map[key]int{{patterns.HashToken(fresh), "new.txt", 2, "", "", "staged"}: 1}},
		{"only added lines of a modified file", func(r *testRepo) {
			r.write("base.txt", "1\n"+old+"\n3\nnew "+fresh+"\n")
			r.git("add", "base.txt")
		}, map[key]int{{patterns.HashToken(fresh), "base.txt", 4, "", "", "staged"}: 1}},
		{"unstaged working copy is not reported", func(r *testRepo) {
			r.write("base.txt", "1\n"+old+"\n3\n"+unstaged+"\n")
		}, map[key]int{}},
		{"staged then removed from the working copy", func(r *testRepo) {
			r.write("base.txt", "1\n"+old+"\n3\n"+removed+"\n")
			r.git("add", "base.txt")
			r.write("base.txt", "1\n"+old+"\n3\n")
		}, map[key]int{{patterns.HashToken(removed), "base.txt", 4, "", "", "staged"}: 1}},
		{"a rename adds nothing", func(r *testRepo) {
			r.git("mv", "base.txt", "renamed.txt")
		}, map[key]int{}},
		{"a rename with an added line", func(r *testRepo) {
			r.git("mv", "base.txt", "renamed.txt")
			r.write("renamed.txt", "1\n"+old+"\n3\n"+moved+"\n")
			r.git("add", "renamed.txt")
		}, map[key]int{{patterns.HashToken(moved), "renamed.txt", 4, "", "", "staged"}: 1}},
		{"look-alike and deletion", func(r *testRepo) {
			r.write("new.txt", lookalike(fresh)+"\n")
			r.git("add", "new.txt")
			r.git("rm", "-q", "base.txt")
		}, map[key]int{}},
		{"binary file", func(r *testRepo) {
			r.write("b.bin", "\x00\x01"+fresh+"\x00")
			r.git("add", "b.bin")
		}, map[key]int{{patterns.HashToken(fresh), "b.bin", 1, "", "", "staged"}: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			r.write("base.txt", "1\n"+old+"\n3\n")
			r.commit("a@example.org", "base")
			tc.setup(r)
			if diff := diffKeys(keys(scanStaged(t, r.dir)), tc.want); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestScanStagedInitialCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	tok := token(t, "initial")
	r.write("sub/dir/a.txt", tok+"\n")
	r.git("add", ".")
	got := scanStaged(t, filepath.Join(r.dir, "sub"))
	want := map[key]int{{patterns.HashToken(tok), "sub/dir/a.txt", 1, "", "", "staged"}: 1}
	if diff := diffKeys(keys(got), want); diff != "" {
		t.Fatal(diff)
	}
}

// TestScanStagedNamedFiles covers pre-commit's file arguments: a staged
// file is limited to its added lines, an unchanged or untracked one is
// scanned whole, a missing or outside one fails the scan.
func TestScanStagedNamedFiles(t *testing.T) {
	r := newRepo(t)
	old, fresh, other := token(t, "old"), token(t, "fresh"), token(t, "other")
	r.write("kept.txt", old+"\n")
	r.write("changed.txt", "x\n")
	r.write("elsewhere.txt", "x\n")
	r.commit("a@example.org", "base")
	r.write("changed.txt", "x\n"+fresh+"\n")
	r.write("elsewhere.txt", "x\n"+other+"\n")
	r.git("add", ".")
	r.write("untracked.txt", fresh+"\n")
	t.Chdir(r.dir)
	got := scanStaged(t, ".", "changed.txt", "kept.txt", "untracked.txt")
	want := map[key]int{
		{patterns.HashToken(fresh), "changed.txt", 2, "", "", "staged"}: 1,
		{patterns.HashToken(old), "kept.txt", 1, "", "", "file"}:        1,
		{patterns.HashToken(fresh), "untracked.txt", 1, "", "", "file"}: 1,
	}
	if diff := diffKeys(keys(got), want); diff != "" {
		t.Fatal(diff)
	}
	err := ScanStaged(ctx(t), StagedOptions{Repo: ".", Files: []string{"gone.txt"}}, newScanner(),
		func(scanner.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "gone.txt") {
		t.Fatalf("missing named file: err = %v", err)
	}
	outside := filepath.Join(t.TempDir(), "x.txt")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = ScanStaged(ctx(t), StagedOptions{Repo: ".", Files: []string{outside}}, newScanner(),
		func(scanner.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "outside the repository") {
		t.Fatalf("outside file: err = %v", err)
	}
}

func TestScanStagedNotARepository(t *testing.T) {
	t.Parallel()
	err := ScanStaged(ctx(t), StagedOptions{Repo: t.TempDir()}, newScanner(), func(scanner.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("err = %v", err)
	}
}

// TestScanStagedMerge: concluding a merge reports only what the merge
// itself adds, not the side branch's already-committed lines.
func TestScanStagedMerge(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	side, resolution := token(t, "sidebranch"), token(t, "resolution")
	r.write("a.txt", "1\n2\n3\n")
	r.commit("a@example.org", "base")
	r.git("checkout", "-q", "-b", "side")
	r.write("a.txt", "1\n2\n3\n"+side+"\n")
	r.write("new-on-side.txt", side+"\n")
	r.commit("a@example.org", "side")
	r.git("checkout", "-q", "main")
	r.write("b.txt", "main\n")
	r.commit("a@example.org", "main")
	r.git("merge", "-q", "--no-commit", "--no-ff", "side")
	r.write("a.txt", "1\n2\n3\n"+side+"\n"+resolution+"\n")
	r.git("add", "a.txt")
	want := map[key]int{{patterns.HashToken(resolution), "a.txt", 5, "", "", "staged"}: 1}
	if diff := diffKeys(keys(scanStaged(t, r.dir)), want); diff != "" {
		t.Fatal(diff)
	}
}
