package gitsource

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// attributionCase is one token of attributionRepo and where its finding
// must point: the path rev-list names for its blob and the commit that
// first set that path to that blob.
type attributionCase struct {
	name, token, path, commit, author string
	line                              int
}

// attributionRepo builds one history holding every shape of introduction
// that attribution must get right, and returns it with the expected
// finding of each token.
func attributionRepo(t *testing.T) (*testRepo, []attributionCase) {
	t.Helper()
	r := newRepo(t)
	var cases []attributionCase
	add := func(name, tok, path string, line int, commit, author string) {
		cases = append(cases, attributionCase{name: name, token: tok, path: path, line: line, commit: commit, author: author})
	}
	tok := func(seed string) string { return token(t, "attr"+strings.ReplaceAll(seed, "-", "")) }

	r.write("README.md", "history for attribution tests\n")
	r.commit("root@example.org", "root")

	// Added, then deleted: only history holds it.
	gone := tok("added-then-deleted")
	r.write("gone/secret.env", "A=1\nTOKEN="+gone+"\n")
	c := r.commit("adder@example.org", "add a secret")
	add("token added then deleted", gone, "gone/secret.env", 2, c, "adder@example.org")
	r.git("rm", "-q", "gone/secret.env")
	r.commit("remover@example.org", "delete the secret")

	// Added, deleted, then the same content added back at the same path:
	// the same blob, first introduced by the first commit.
	again := tok("re-added")
	r.write("again.txt", again+"\n")
	c = r.commit("first@example.org", "add")
	add("same blob re-added at the same path", again, "again.txt", 1, c, "first@example.org")
	r.git("rm", "-q", "again.txt")
	r.commit("remover@example.org", "remove")
	r.write("again.txt", again+"\n")
	r.commit("second@example.org", "add it back")

	// Edited after it was added: two blobs at one path, each attributed
	// to the commit that made it.
	edited := tok("edited")
	r.write("edited.txt", edited+"\n")
	c = r.commit("writer@example.org", "add")
	add("token in a file later edited (first version)", edited, "edited.txt", 1, c, "writer@example.org")
	editedToo := tok("edited-too")
	r.write("edited.txt", edited+"\n"+editedToo+"\n")
	c = r.commit("editor@example.org", "edit")
	add("token in a file later edited (second version, old token)", edited, "edited.txt", 1, c, "editor@example.org")
	add("token in a file later edited (second version, new token)", editedToo, "edited.txt", 2, c, "editor@example.org")

	// Renamed: git's rename is a deletion and an addition; without
	// rename following the blob is new at its new path in the rename.
	renamed := tok("renamed")
	r.write("old/name.txt", "x\n"+renamed+"\n")
	r.commit("author@example.org", "old name")
	if err := os.MkdirAll(filepath.Join(r.dir, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("mv", "old/name.txt", "new/name.txt")
	c = r.commit("mover@example.org", "rename")
	add("renamed file", renamed, "new/name.txt", 2, c, "mover@example.org")

	// Same blob at two paths, both still there: reported once, at the
	// path rev-list names (the first in tree order), attributed there.
	copied := tok("copied-after")
	r.write("m-original.txt", copied+"\n")
	c = r.commit("original@example.org", "original")
	add("same blob in two paths, copy sorts after", copied, "m-original.txt", 1, c, "original@example.org")
	r.write("z-copy.txt", copied+"\n")
	r.commit("copier@example.org", "copy after")
	copiedBefore := tok("copied-before")
	r.write("n-original.txt", copiedBefore+"\n")
	r.commit("original@example.org", "original")
	r.write("a-copy.txt", copiedBefore+"\n")
	c = r.commit("copier@example.org", "copy before")
	add("same blob in two paths, copy sorts before", copiedBefore, "a-copy.txt", 1, c, "copier@example.org")

	// A side branch merged, then its ref deleted; its token was removed
	// on the branch before the merge.
	r.git("checkout", "-q", "-b", "side")
	side := tok("side-branch")
	r.write("side/token.txt", "s\n"+side+"\n")
	c = r.commit("side@example.org", "side token")
	add("side branch merged then deleted", side, "side/token.txt", 2, c, "side@example.org")
	r.git("rm", "-q", "side/token.txt")
	r.commit("side@example.org", "side cleanup")
	// A token still on the side branch when it is merged: the merge
	// brings it to main (diffed against its first parent), but the side
	// commit came first.
	kept := tok("side-kept")
	r.write("side/kept.txt", kept+"\n")
	c = r.commit("side@example.org", "side keeps a token")
	add("merged side-branch token", kept, "side/kept.txt", 1, c, "side@example.org")
	r.git("checkout", "-q", "main")
	r.write("main.txt", "main moves on\n")
	r.commit("main@example.org", "main work")

	// An evil merge: the merge commit itself adds a file no parent has.
	r.git("merge", "-q", "--no-ff", "--no-commit", "side")
	merged := tok("evil-merge")
	r.write("merge-only.txt", "\n\n"+merged+"\n")
	r.git("add", "merge-only.txt")
	r.gitEnv([]string{"GIT_AUTHOR_EMAIL=merger@example.org"}, "commit", "-q", "-m", "merge side")
	c = r.git("rev-parse", "HEAD")
	add("blob first introduced in a merge", merged, "merge-only.txt", 3, c, "merger@example.org")
	r.git("branch", "-q", "-D", "side")

	// A conflict resolved in the merge: both sides edited one file, the
	// resolution (a new blob) holds a token neither side had.
	r.write("conflict.txt", "base\n")
	r.commit("base@example.org", "base")
	r.git("checkout", "-q", "-b", "other")
	r.write("conflict.txt", "other side\n")
	r.commit("other@example.org", "other side")
	r.git("checkout", "-q", "main")
	r.write("conflict.txt", "main side\n")
	r.commit("main@example.org", "main side")
	resolved := tok("resolution")
	// The merge fails on the conflict (exit 1); resolve and commit it.
	cmd := exec.Command("git", "merge", "-q", "other")
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	_ = cmd.Run()
	r.write("conflict.txt", "resolved\n"+resolved+"\n")
	r.git("add", "conflict.txt")
	r.gitEnv([]string{"GIT_AUTHOR_EMAIL=resolver@example.org"}, "commit", "-q", "--no-edit")
	c = r.git("rev-parse", "HEAD")
	add("blob introduced by a conflict resolution", resolved, "conflict.txt", 2, c, "resolver@example.org")
	r.git("branch", "-q", "-D", "other")
	return r, cases
}

// wantFindings is the finding set the cases describe.
func wantFindings(cases []attributionCase) map[key]int {
	want := map[key]int{}
	for _, c := range cases {
		want[key{patterns.HashToken(c.token), c.path, c.line, c.commit, c.author, "git"}]++
	}
	return want
}

func TestHistoryAttribution(t *testing.T) {
	t.Parallel()
	r, cases := attributionRepo(t)
	g, calls := loggingGit(t, r.dir)
	got := collect(t, func(emit func(scanner.Finding) error) error {
		return scanHistory(ctx(t), g, HistoryOptions{Repo: r.dir, CatFiles: 2}, newScanner(), emit)
	})
	gotKeys := keys(got)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := key{patterns.HashToken(c.token), c.path, c.line, c.commit, c.author, "git"}
			if gotKeys[k] != 1 {
				t.Errorf("no finding %s; findings of this token:\n%s", describe(k), findingsOf(got, c.token))
			}
		})
	}
	if diff := diffKeys(gotKeys, wantFindings(cases)); diff != "" {
		t.Error(diff)
	}
	if n := count(calls(), "log"); n != 1 {
		t.Errorf("%d git log processes, want one attribution pass: %q", n, calls())
	}
}

// TestHistoryAttributionNothingFound: a history without tokens (look-alikes
// only) runs no attribution: no git log process at all.
func TestHistoryAttributionNothingFound(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	for i := range 5 {
		r.write("f.txt", strings.Repeat("line\n", i)+lookalike(token(t, "nothing"))+"\n")
		r.commit("a@example.org", "edit")
	}
	g, calls := loggingGit(t, r.dir)
	got := collect(t, func(emit func(scanner.Finding) error) error {
		return scanHistory(ctx(t), g, HistoryOptions{Repo: r.dir}, newScanner(), emit)
	})
	if len(got) != 0 {
		t.Fatalf("%d findings, want none", len(got))
	}
	cmds := calls()
	if count(cmds, "log") != 0 || count(cmds, "rev-list") != 1 || count(cmds, "cat-file") != 1 {
		t.Errorf("git commands %q: want one rev-list, one cat-file and no log", cmds)
	}
}

// TestFindOriginsModes: the pass limited to the hits' paths and the pass
// over every diff of the history (used past maxAttributionPaths paths or
// for a path with a line break) attribute every case alike.
func TestFindOriginsModes(t *testing.T) {
	t.Parallel()
	r, cases := attributionRepo(t)
	g := Git{Dir: r.dir}.Cached()
	revs, err := Resolve(ctx(t), g, []string{"--all", "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	var hits []hit
	for _, c := range cases {
		hits = append(hits, hit{oid: r.git("rev-parse", c.commit+":"+c.path), path: c.path})
	}
	for _, tc := range []struct {
		name     string
		maxPaths int
	}{
		{"limited to the hits' paths", maxAttributionPaths},
		{"whole history", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if in := string(attributionInput(revs, hits, tc.maxPaths)); strings.Contains(in, "--\n") != (tc.maxPaths > 0) {
				t.Fatalf("attribution input %q: pathspecs given = %v, want %v", in, !(tc.maxPaths > 0), tc.maxPaths > 0)
			}
			got, err := findOrigins(ctx(t), g, revs, hits, tc.maxPaths)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				o := got[blobAt{hits[i].oid, c.path}]
				if o.commit != c.commit || o.author != c.author {
					t.Errorf("%s: attributed to %s %s, want %s %s", c.name, o.commit, o.author, c.commit, c.author)
				}
			}
		})
	}
}

// TestAttributionInput: the pathspecs go after "--" on stdin: each hit's
// directory (a top-level path itself), once, none under another, sorted;
// none when there are too many or a path cannot be written on a line.
func TestAttributionInput(t *testing.T) {
	t.Parallel()
	revs := Revisions{Include: []string{"aaa"}, Exclude: []string{"bbb"}}
	hs := func(paths ...string) []hit {
		var out []hit
		for _, p := range paths {
			out = append(out, hit{oid: "ccc", path: p})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		hits []hit
		max  int
		want string
	}{
		{"top-level paths, deduplicated and sorted", hs("b.txt", "a b.txt", "b.txt"), 10, "aaa\n^bbb\n--\na b.txt\nb.txt\n"},
		{"directories", hs("config/a.env", "config/b.env", "src/x/y.go", "README"), 10, "aaa\n^bbb\n--\nREADME\nconfig\nsrc/x\n"},
		{"a directory under another", hs("a/b/c/d.txt", "a/b/e.txt", "a-b/f.txt", "a/bc/g.txt"), 10, "aaa\n^bbb\n--\na-b\na/b\na/bc\n"},
		{"a top-level file named like a directory", hs("a", "a/b.txt"), 10, "aaa\n^bbb\n--\na\n"},
		{"at the limit", hs("a/1", "b/2"), 2, "aaa\n^bbb\n--\na\nb\n"},
		{"over the limit", hs("a/1", "b/2", "c/3"), 2, "aaa\n^bbb\n"},
		{"many paths, few directories", hs("d/1", "d/2", "d/3", "d/4"), 2, "aaa\n^bbb\n--\nd\n"},
		{"a path with a line feed", hs("a", "x\ny"), 10, "aaa\n^bbb\n"},
		{"a path with a carriage return", hs("d/a\r"), 10, "aaa\n^bbb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := string(attributionInput(revs, tc.hits, tc.max)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadOriginsStopsEarly: once every wanted pair has its commit the
// reader returns without reading further (the rest of a long history is
// never diffed: findOrigins then stops git).
func TestReadOriginsStopsEarly(t *testing.T) {
	t.Parallel()
	out := "\x01c1\x00a@example.org\x00\n:000000 100644 " + zeros + " b1 A\x00x.txt\x00" +
		"\x01c2\x00b@example.org\x00\n:100644 100644 b1 b2 M\x00x.txt\x00:000000 100644 " + zeros + " b3 A\x00y.txt\x00"
	got, err := readOrigins(io.MultiReader(strings.NewReader(out), failingReader{}),
		map[blobAt]bool{{"b1", "x.txt"}: true, {"b3", "y.txt"}: true})
	if err != nil {
		t.Fatalf("read past the last wanted pair: %v", err)
	}
	if got[blobAt{"b1", "x.txt"}].commit != "c1" || got[blobAt{"b3", "y.txt"}].commit != "c2" {
		t.Errorf("got %+v", got)
	}
}

const zeros = "0000000000000000000000000000000000000000"

// failingReader stands for output the reader must not need.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("read past what was needed") }

func TestReadOrigins(t *testing.T) {
	t.Parallel()
	want := map[blobAt]bool{{"b1", "x.txt"}: true, {"b2", "y.txt"}: true}
	long := strings.Repeat("p", 300<<10) // longer than the reader's buffer
	for _, tc := range []struct {
		name, out string
		want      map[blobAt]origin
		err       error
	}{
		{"first introduction wins",
			"\x01c1\x00a@x\x00\n:000000 100644 " + zeros + " b1 A\x00x.txt\x00\x01c2\x00b@x\x00\n:000000 100644 " + zeros + " b1 A\x00x.txt\x00",
			map[blobAt]origin{{"b1", "x.txt"}: {"c1", "a@x"}}, nil},
		{"a deletion introduces nothing",
			"\x01c1\x00a@x\x00\n:100644 000000 b1 " + zeros + " D\x00x.txt\x00\x01c2\x00b@x\x00\n:100644 100644 b0 b1 M\x00x.txt\x00",
			map[blobAt]origin{{"b1", "x.txt"}: {"c2", "b@x"}}, nil},
		{"the blob at another path is another pair",
			"\x01c1\x00a@x\x00\n:000000 100644 " + zeros + " b2 A\x00x.txt\x00\x01c2\x00b@x\x00\n:000000 100644 " + zeros + " b2 A\x00y.txt\x00",
			map[blobAt]origin{{"b2", "y.txt"}: {"c2", "b@x"}}, nil},
		{"a merge's second diff (-m repeats the header)",
			"\x01m\x00m@x\x00\n\x01m\x00m@x\x00\n:000000 100644 " + zeros + " b2 A\x00y.txt\x00",
			map[blobAt]origin{{"b2", "y.txt"}: {"m", "m@x"}}, nil},
		{"a path longer than the buffer",
			"\x01c1\x00a@x\x00\n:000000 100644 " + zeros + " b1 A\x00" + long + "\x00",
			map[blobAt]origin{}, nil},
		{"empty output", "", map[blobAt]origin{}, nil},
		{"raw entry before any commit", ":000000 100644 " + zeros + " b1 A\x00x.txt\x00", nil, ErrLogProtocol},
		{"commit without author", "\x01c1", nil, ErrLogProtocol},
		{"entry without path", "\x01c1\x00a@x\x00:000000 100644 " + zeros + " b1 A\x00", nil, ErrLogProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := readOrigins(strings.NewReader(tc.out), want)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for k, o := range tc.want {
				if got[k] != o {
					t.Errorf("%+v: got %+v, want %+v", k, got[k], o)
				}
			}
		})
	}
}

// TestAttributionFailsOnGitError: a history git cannot walk fails the scan
// with git's message, not with findings lacking their commits.
func TestAttributionFailsOnGitError(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("a.txt", token(t, "treegone")+"\n")
	r.commit("a@example.org", "a")
	r.write("b/c.txt", "x\n")
	r.commit("a@example.org", "b")
	g := Git{Dir: r.dir}.Cached()
	revs, err := Resolve(ctx(t), g, []string{"HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	// Remove the first commit's tree: rev-list is not run here, git log
	// meets the hole while diffing.
	tree := r.git("rev-parse", "HEAD~1^{tree}")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", tree[:2], tree[2:])); err != nil {
		t.Fatal(err)
	}
	_, err = findOrigins(ctx(t), g, revs, []hit{{oid: r.git("rev-parse", "HEAD:a.txt"), path: "a.txt"}}, maxAttributionPaths)
	if !errors.Is(err, ErrGit) {
		t.Fatalf("err = %v, want a git error", err)
	}
}

// loggingGit returns a Git for dir whose executable is a wrapper that
// records each command's arguments, and a function listing the git
// subcommands run so far.
func loggingGit(t *testing.T, dir string) (Git, func() []string) {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	bin, logDir := t.TempDir(), t.TempDir()
	// One file per process ($$), so that concurrent commands cannot
	// interleave their records.
	script := "#!/bin/sh\nprintf '%s\\0' \"$@\" > " + shellQuote(logDir) + "/call.$$\nexec " + shellQuote(real) + " \"$@\"\n"
	wrapper := filepath.Join(bin, "git")
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	calls := func() []string {
		files, _ := filepath.Glob(filepath.Join(logDir, "call.*"))
		var out []string
		for _, f := range files {
			data, _ := os.ReadFile(f)
			out = append(out, subcommand(strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")))
		}
		return out
	}
	return Git{Dir: dir, Path: wrapper}.Cached(), calls
}

// subcommand is the git command of an argument list: the first argument
// that is not a global option (nor the value of -c).
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-c":
			i++
		case !strings.HasPrefix(args[i], "-"):
			return args[i]
		}
	}
	return ""
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// findingsOf describes the findings of one token.
func findingsOf(fs []scanner.Finding, tok string) string {
	var b strings.Builder
	for _, f := range fs {
		if f.TokenHash == patterns.HashToken(tok) {
			b.WriteString("  " + f.Path + ":" + itoa(f.Line) + " commit " + f.Commit + " " + f.Author + "\n")
		}
	}
	return b.String()
}
