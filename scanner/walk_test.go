package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"go.uber.org/goleak"
)

// walkFixtures is the tree under testdata/walk, written by
// UPDATE_GOLDEN=1 go test -run TestWalkFixtures (the tokens are built from
// the scheme with recognisably fake bodies).
func walkFixtures(tb testing.TB) map[string]string {
	tb.Helper()
	pat := token(tb, "github-pat", "LeakguardWalkFixtureA000000001")
	own := token(tb, "leakguard-user", "LeakguardWalkFixtureB000000002")
	svc := token(tb, "leakguard-service", "LeakguardWalkFixtureC000000003")
	return map[string]string{
		"a.txt":            "key: " + pat + "\n",
		"lookalike.txt":    "key: " + lookAlike(pat) + "\n" + lookAlike(own) + "\n",
		"sub/b.go":         "package b\n\nconst (\n\tx = \"" + own + "\"\n\ty = \"" + svc + "\" // gitleaks:allow\n)\n",
		"sub/deeper/c.bin": "\x00\x01\xff\xfe" + svc + "\x00\r\n\x00" + pat,
		"z-dash/d.txt":     own,
		"z/e.txt":          "\n\n   " + own + "\n",
		"empty.txt":        "",
	}
}

func TestWalkFixtures(t *testing.T) {
	t.Parallel()
	root := filepath.Join("testdata", "walk")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		for name, content := range walkFixtures(t) {
			p := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range walkFixtures(t) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || string(b) != content {
			t.Fatalf("fixture %s is stale (err %v); regenerate with UPDATE_GOLDEN=1", name, err)
		}
	}
	lines := walkLines(t, []string{root}, WalkOptions{IncludeAllowed: true, Workers: 3})
	golden := filepath.Join("testdata", "walk.golden")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, "\n") + "\n"; got != string(want) {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
}

// walkLines runs ScanPaths and renders each finding as one line.
func walkLines(t *testing.T, paths []string, opts WalkOptions) []string {
	t.Helper()
	var lines []string
	err := New(patterns.Default()).ScanPaths(context.Background(), paths, opts, func(f Finding) error {
		if f.Source != leakguard.SourceFile || f.TokenHash != f.Secret.Hash() {
			t.Errorf("bad finding %+v", f)
		}
		lines = append(lines, fmt.Sprintf("%s:%d:%d %s %s allowed=%v", f.Path, f.Line, f.Column, f.Rule, f.Redacted, f.Allowed))
		return nil
	})
	if err != nil {
		t.Fatalf("ScanPaths: %v", err)
	}
	return lines
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWalkSkipsGitSymlinksAndSpecialFiles(t *testing.T) {
	t.Parallel()
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	root, outside := filepath.Join(tmp, "root"), filepath.Join(tmp, "outside")
	writeFile(t, filepath.Join(outside, "secret.txt"), own)
	writeFile(t, filepath.Join(root, ".git", "config"), own)
	writeFile(t, filepath.Join(root, "real.txt"), own)
	writeFile(t, filepath.Join(root, "dir", ".git"), own) // a .git file (worktree link) is scanned
	for link, target := range map[string]string{
		"link.txt": filepath.Join(outside, "secret.txt"),
		"linkdir":  outside,
		"loop":     root,
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
		t.Logf("no FIFO: %v", err)
	}
	got := walkLines(t, []string{root}, WalkOptions{})
	want := []string{
		root + "/dir/.git:1:1 leakguard-user lgu_…" + own[len(own)-4:] + " allowed=false",
		root + "/real.txt:1:1 leakguard-user lgu_…" + own[len(own)-4:] + " allowed=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// A symlink named as an argument is read, as grep -r does.
	if got := walkLines(t, []string{filepath.Join(root, "link.txt")}, WalkOptions{}); len(got) != 1 {
		t.Errorf("symlink argument: got %q", got)
	}
}

func TestWalkPathsAsGrepPrintsThem(t *testing.T) {
	t.Parallel()
	tests := []struct{ dir, name, want string }{
		{".", "a", "./a"},
		{"d", "a", "d/a"},
		{"d/", "a", "d/a"},
		{"d//", "a", "d/a"},
		{"./d/", "a", "./d/a"},
		{"/", "a", "/a"},
		{"//", "a", "/a"},
	}
	for _, tc := range tests {
		if got := joinPath(tc.dir, tc.name); got != tc.want {
			t.Errorf("joinPath(%q, %q) = %q, want %q", tc.dir, tc.name, got, tc.want)
		}
	}
}

func TestWalkMissingPathStillScansTheRest(t *testing.T) {
	t.Parallel()
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	writeFile(t, filepath.Join(tmp, "ok.txt"), own)
	missing := filepath.Join(tmp, "missing")
	var failed []string
	var n int
	err := New(patterns.Default()).ScanPaths(context.Background(), []string{missing, tmp}, WalkOptions{
		OnError: func(p string, err error) { failed = append(failed, p) },
	}, func(Finding) error { n++; return nil })
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("err = %v, want ErrIncomplete", err)
	}
	if !slices.Equal(failed, []string{missing}) || n != 1 {
		t.Errorf("failed %q, %d findings; want [%s], 1", failed, n, missing)
	}
}

// TestWalkDeterministicOrder scans many files with many workers and
// requires the same (path, line, column) order every time.
func TestWalkDeterministicOrder(t *testing.T) {
	t.Parallel()
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	for i := 0; i < 120; i++ {
		content := strings.Repeat(own+" x "+own+"\n", i%4) + strings.Repeat("filler\n", i*50)
		writeFile(t, filepath.Join(tmp, fmt.Sprintf("d%d", i%7), fmt.Sprintf("f%03d.txt", i)), content)
	}
	first := walkLines(t, []string{tmp}, WalkOptions{Workers: 8})
	sorted := slices.IsSortedFunc(first, func(a, b string) int {
		pa, la, ca := splitLoc(a)
		pb, lb, cb := splitLoc(b)
		if c := strings.Compare(pa, pb); c != 0 {
			return c
		}
		if la != lb {
			return la - lb
		}
		return ca - cb
	})
	if !sorted || len(first) == 0 {
		t.Fatalf("findings not in (path, line, column) order: %q", first)
	}
	for run := 0; run < 5; run++ {
		if got := walkLines(t, []string{tmp}, WalkOptions{Workers: 8}); !slices.Equal(got, first) {
			t.Fatalf("run %d differs", run)
		}
	}
}

func splitLoc(s string) (string, int, int) {
	loc, _, _ := strings.Cut(s, " ")
	var line, col int
	i := strings.LastIndexByte(loc, ':')
	j := strings.LastIndexByte(loc[:i], ':')
	fmt.Sscan(loc[j+1:i], &line)
	fmt.Sscan(loc[i+1:], &col)
	return loc[:j], line, col
}

func TestWalkEmitErrorStopsWithoutLeaks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	for i := 0; i < 50; i++ {
		writeFile(t, filepath.Join(tmp, fmt.Sprintf("f%02d", i)), own)
	}
	stop := errors.New("stop")
	n := 0
	err := New(patterns.Default()).ScanPaths(context.Background(), []string{tmp}, WalkOptions{Workers: 4},
		func(Finding) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d findings, want stop after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 4} {
		for _, dir := range []string{tmp, t.TempDir()} {
			err = New(patterns.Default()).ScanPaths(ctx, []string{dir}, WalkOptions{Workers: workers}, func(Finding) error { return nil })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled, %d workers: err %v", workers, err)
			}
		}
	}
}

// TestWalkOneWorkerMatchesParallel checks the one-worker streaming walk
// (walk_linux.go: entries visited in path order while listing) against the
// list-sort-scan path: same findings, same order, same OnFile sequence, on
// names where directory order and path order differ ("a" before "a-b" and
// "a.go" as names, but "a/x" after them as paths), below and beyond the
// depth at which directory descriptors stay open.
func TestWalkOneWorkerMatchesParallel(t *testing.T) {
	t.Parallel()
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	deep := tmp
	for i := 0; i < maxOpenDirsForTest+6; i++ {
		deep = filepath.Join(deep, fmt.Sprintf("d%d", i%3))
		writeFile(t, filepath.Join(deep, "f.txt"), "x "+own+"\n")
	}
	for _, name := range []string{"a/x", "a-b", "a.go", "a0", "a/.git/y", "b/a/x", "b/a.txt", "b/a/.hidden",
		"c/d/e", "c/d-e", "c/d.e", "C", "z/", "empty"} {
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(filepath.Join(tmp, name), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		content := strings.Repeat("line\n", len(name)) + own + "\n"
		if name == "empty" {
			content = ""
		}
		writeFile(t, filepath.Join(tmp, filepath.FromSlash(name)), content)
	}
	if err := os.Symlink(filepath.Join(tmp, "a"), filepath.Join(tmp, "b", "link")); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{tmp, tmp + "/", tmp + "/b"} {
		t.Run(filepath.Base(root), func(t *testing.T) {
			one, oneFiles := walkRecord(t, root, 1)
			par, parFiles := walkRecord(t, root, 3)
			if len(one) == 0 || !slices.Equal(one, par) {
				t.Errorf("one worker:\n%q\nthree workers:\n%q", one, par)
			}
			if !slices.Equal(oneFiles, parFiles) || !slices.IsSorted(oneFiles) {
				t.Errorf("OnFile order, one worker:\n%q\nthree workers:\n%q", oneFiles, parFiles)
			}
		})
	}
}

// maxOpenDirsForTest is the depth beyond which the streaming walk opens
// files by path (maxOpenDirs on Linux).
const maxOpenDirsForTest = 64

// walkRecord runs ScanPaths over root with the given workers and returns
// the findings and the OnFile calls ("path size").
func walkRecord(t *testing.T, root string, workers int) ([]string, []string) {
	t.Helper()
	var files []string
	lines := walkLines(t, []string{root}, WalkOptions{Workers: workers, OnFile: func(p string, n int64) {
		files = append(files, fmt.Sprintf("%s %d", p, n))
	}})
	return lines, files
}

// TestWalkReadsWholeFiles scans files of sizes around the read buffer's
// (a short read of a tree file is taken as its end) with a small chunk, and
// requires what ScanBytes finds in the same bytes, with each worker count.
func TestWalkReadsWholeFiles(t *testing.T) {
	t.Parallel()
	own := token(t, "leakguard-user", body30)
	const chunk = 4096
	sc := NewWithOptions(patterns.Default(), Options{ChunkSize: chunk})
	tmp := t.TempDir()
	want := map[string]int{}
	for _, size := range []int{0, 1, len(own), chunk - 1, chunk, chunk + 1, 3*chunk + 7, 5 * chunk, 1 << 20} {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString("filler " + own + "\n")
		}
		content := b.String()[:size]
		name := filepath.Join(tmp, fmt.Sprintf("f%08d", size))
		writeFile(t, name, content)
		n := 0
		if err := sc.ScanBytes([]byte(content), func(Match) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		want[name] = n
	}
	for _, workers := range []int{1, 2} {
		got := map[string]int{}
		sizes := map[string]int64{}
		err := sc.ScanPaths(context.Background(), []string{tmp}, WalkOptions{Workers: workers,
			OnFile: func(p string, n int64) { sizes[p] = n }},
			func(f Finding) error { got[f.Path]++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		for name, n := range want {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got[name] != n || sizes[name] != fi.Size() {
				t.Errorf("workers %d, %s: %d findings, %d bytes read; want %d, %d",
					workers, filepath.Base(name), got[name], sizes[name], n, fi.Size())
			}
		}
	}
}

// TestWalkUnreadableSubdirectory reports a directory that cannot be listed
// and scans the rest, with one worker and with several.
func TestWalkUnreadableSubdirectory(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop reads")
	}
	own := token(t, "leakguard-user", body30)
	tmp := t.TempDir()
	writeFile(t, filepath.Join(tmp, "a", "ok.txt"), own)
	writeFile(t, filepath.Join(tmp, "b", "hidden.txt"), own)
	writeFile(t, filepath.Join(tmp, "c.txt"), own)
	if err := os.Chmod(filepath.Join(tmp, "b"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(tmp, "b"), 0o755) })
	for _, workers := range []int{1, 3} {
		var failed []string
		n := 0
		err := New(patterns.Default()).ScanPaths(context.Background(), []string{tmp}, WalkOptions{Workers: workers,
			OnError: func(p string, err error) { failed = append(failed, p) }},
			func(Finding) error { n++; return nil })
		if !errors.Is(err, ErrIncomplete) || n != 2 || !slices.Equal(failed, []string{filepath.Join(tmp, "b")}) {
			t.Errorf("workers %d: err %v, %d findings, failed %q", workers, err, n, failed)
		}
	}
}
