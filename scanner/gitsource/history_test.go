package gitsource

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// historyRepo builds a history with tokens added then deleted, on a side
// branch, in an evil merge, renamed, in a binary file and in a large file.
type historyRepo struct {
	*testRepo
	want map[key]int
}

func buildHistory(t *testing.T) *historyRepo {
	t.Helper()
	r := &historyRepo{testRepo: newRepo(t), want: map[key]int{}}
	deleted, side, merged, renamed, binTok, bigTok := token(t, "deleted"), token(t, "side"), token(t, "merged"),
		token(t, "renamed"), token(t, "binary"), token(t, "large")

	r.write("README.md", "hello\nlook-alike "+lookalike(deleted)+"\n")
	r.commit("first@example.org", "init")
	r.write("config/secret.env", "A=1\nB=2\nTOKEN="+deleted+"\n")
	added := r.commit("leaker@example.org", "add secret")
	r.want[key{patterns.HashToken(deleted), "config/secret.env", 3, added, "leaker@example.org", "git"}] = 1
	r.git("rm", "-q", "config/secret.env")
	r.commit("fixer@example.org", "remove secret")

	r.git("checkout", "-q", "-b", "side")
	r.write("side.txt", "x "+side+"\n")
	sideCommit := r.commit("side@example.org", "side token")
	r.git("rm", "-q", "side.txt")
	r.commit("side@example.org", "side cleanup")
	r.git("checkout", "-q", "main")
	r.write("main.txt", "main work\n")
	r.commit("first@example.org", "main work")
	r.want[key{patterns.HashToken(side), "side.txt", 1, sideCommit, "side@example.org", "git"}] = 1

	r.git("merge", "-q", "--no-ff", "--no-commit", "side")
	r.write("merge-only.txt", "\n\n"+merged+"\n")
	r.git("add", "merge-only.txt")
	r.gitEnv([]string{"GIT_AUTHOR_EMAIL=merger@example.org"}, "commit", "-q", "-m", "evil merge")
	mergeCommit := r.git("rev-parse", "HEAD")
	r.want[key{patterns.HashToken(merged), "merge-only.txt", 3, mergeCommit, "merger@example.org", "git"}] = 1

	r.write("old/name.txt", "line\n"+renamed+"\n")
	r.commit("first@example.org", "renamed token, old name")
	r.git("mv", "old/name.txt", "new name.txt")
	renameCommit := r.commit("mover@example.org", "rename")
	r.want[key{patterns.HashToken(renamed), "new name.txt", 2, renameCommit, "mover@example.org", "git"}] = 1

	bin := append([]byte{0, 1, 2, 0xff, 0}, []byte(binTok)...)
	r.write("blob.bin", string(append(bin, 0, 0)))
	binCommit := r.commit("bin@example.org", "binary")
	r.want[key{patterns.HashToken(binTok), "blob.bin", 1, binCommit, "bin@example.org", "git"}] = 1

	big := bytes.Repeat([]byte("0123456789abcdef filler line\n"), 3<<20/29)
	r.write("big/large.txt", string(big)+"k="+bigTok+"\n")
	bigCommit := r.commit("big@example.org", "large file")
	r.want[key{patterns.HashToken(bigTok), "big/large.txt", bytes.Count(big, []byte("\n")) + 1, bigCommit, "big@example.org", "git"}] = 1
	return r
}

func TestScanHistory(t *testing.T) {
	t.Parallel()
	r := buildHistory(t)
	for _, tc := range []struct {
		name string
		opts HistoryOptions
	}{
		{"defaults", HistoryOptions{}},
		{"one worker, tiny budget, streamed large blobs", HistoryOptions{Workers: 1, MaxMemory: 1024, MaxBlob: 64 << 10}},
		{"three cat-file processes", HistoryOptions{CatFiles: 3}},
		{"three cat-file processes, one worker, tiny budget", HistoryOptions{CatFiles: 3, Workers: 1, MaxMemory: 1024, MaxBlob: 64 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := tc.opts
			o.Repo = r.dir
			var prog bytes.Buffer
			o.Progress = &prog
			got := collect(t, func(emit func(scanner.Finding) error) error {
				return ScanHistory(ctx(t), o, newScanner(), emit)
			})
			if !strings.HasSuffix(prog.String(), "\r\033[K") {
				t.Errorf("progress line not cleared at the end: %q", prog.String())
			}
			if diff := diffKeys(keys(got), r.want); diff != "" {
				t.Fatal(diff)
			}
			for _, f := range got {
				if len(f.Commit) != 40 || f.Rule != "github-pat" || !strings.Contains(f.Redacted, "…") {
					t.Errorf("finding %+v: want a 40-hex commit, rule github-pat, redacted form", f)
				}
			}
		})
	}
}

// diffKeys describes the differences between two finding sets.
func diffKeys(got, want map[key]int) string {
	var b strings.Builder
	for k, n := range want {
		if got[k] != n {
			b.WriteString("missing or miscounted: " + describe(k) + "\n")
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			b.WriteString("unexpected: " + describe(k) + "\n")
		}
	}
	return b.String()
}

func describe(k key) string {
	return k.Path + ":" + itoa(k.Line) + " commit=" + k.Commit + " author=" + k.Author + " source=" + k.Source
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestScanHistoryRange(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	one, two := token(t, "one"), token(t, "two")
	r.write("a.txt", one+"\n")
	a := r.commit("a@example.org", "a")
	r.write("b.txt", two+"\n")
	b := r.commit("b@example.org", "b")
	for _, tc := range []struct {
		rng  string
		want []string
	}{
		{a + ".." + b, []string{two}},
		{b, []string{one, two}},
		{b + " --not " + a, []string{two}},
		{"main --not --all", nil},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			t.Parallel()
			got := collect(t, func(emit func(scanner.Finding) error) error {
				return ScanHistory(ctx(t), HistoryOptions{Repo: r.dir, Range: tc.rng}, newScanner(), emit)
			})
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d", len(got), len(tc.want))
			}
			hashes := map[string]bool{}
			for _, f := range got {
				hashes[f.TokenHash] = true // findings of different blobs come in any order
			}
			for _, tok := range tc.want {
				if !hashes[patterns.HashToken(tok)] {
					t.Errorf("token %s… not found", tok[:6])
				}
			}
		})
	}
}

func TestScanHistoryFailsOnGitErrors(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("a.txt", token(t, "x")+"\n")
	r.commit("a@example.org", "a")
	corrupt := newRepo(t)
	corrupt.write("a.txt", "data\n")
	corrupt.commit("a@example.org", "a")
	obj := corrupt.git("rev-parse", "HEAD:a.txt")
	if err := os.Remove(filepath.Join(corrupt.dir, ".git", "objects", obj[:2], obj[2:])); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, repo, rng, msg string
	}{
		{"not a repository", t.TempDir(), "", "not a git repository"},
		{"unknown revision", r.dir, "nosuch..main", "nosuch"},
		{"option smuggled into range", r.dir, "--output=/tmp/x", "not a revision"},
		{"missing object", corrupt.dir, "", obj},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ScanHistory(ctx(t), HistoryOptions{Repo: tc.repo, Range: tc.rng}, newScanner(),
				func(scanner.Finding) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want an error mentioning %q", err, tc.msg)
			}
			if tc.name != "option smuggled into range" && !errors.Is(err, ErrGit) {
				t.Errorf("err = %v, want ErrGit", err)
			}
		})
	}
}

func TestCheckpoint(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("a.txt", token(t, "first")+"\n")
	r.commit("a@example.org", "a")
	cp := filepath.Join(t.TempDir(), "checkpoint.json")
	run := func() ([]scanner.Finding, string) {
		var stderr bytes.Buffer
		got := collect(t, func(emit func(scanner.Finding) error) error {
			return ScanHistory(ctx(t), HistoryOptions{Repo: r.dir, Checkpoint: cp, Stderr: &stderr}, newScanner(), emit)
		})
		return got, stderr.String()
	}
	got, msg := run()
	if len(got) != 1 || !strings.Contains(msg, "not found: scanning all history") {
		t.Fatalf("first run: %d findings, stderr %q", len(got), msg)
	}
	got, msg = run()
	if len(got) != 0 || !strings.Contains(msg, "no new commits") {
		t.Fatalf("second run: %d findings, stderr %q", len(got), msg)
	}
	second := token(t, "second")
	r.write("b.txt", "a\n"+second+"\n")
	r.commit("b@example.org", "b")
	got, msg = run()
	if len(got) != 1 || got[0].TokenHash != patterns.HashToken(second) || !strings.Contains(msg, "scanning only objects reachable from 1 new ref tips") {
		t.Fatalf("third run: %d findings, stderr %q", len(got), msg)
	}
}

// TestScanHistoryEmitError: an emit failure stops the pipeline, kills the
// git processes and comes back as the scan's error.
func TestScanHistoryEmitError(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	for i := range 20 {
		r.write("f"+strconv.Itoa(i)+".txt", token(t, "emit"+strconv.Itoa(i))+"\n")
	}
	r.commit("a@example.org", "many")
	stop := errors.New("output closed")
	n := 0
	err := ScanHistory(ctx(t), HistoryOptions{Repo: r.dir, Workers: 2}, newScanner(), func(scanner.Finding) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d emits, want the emit error after 1", err, n)
	}
}

// TestFeedCatFiles: blob lines go to the cat-file chosen by their path
// (every version of a path to the same one), commit lines nowhere, and
// missing objects are counted.
func TestFeedCatFiles(t *testing.T) {
	t.Parallel()
	const a, b, c = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
	list := a + "\n" + b + " src/x.go\n" + c + " docs/y.md\n?" + a + "\n" + a + " src/x.go\n" + b + " path with spaces.txt\n"
	for _, n := range []int{1, 2, 3} {
		t.Run(itoa(n), func(t *testing.T) {
			t.Parallel()
			outs := make([]*closeBuffer, n)
			ins := make([]io.WriteCloser, n)
			for i := range outs {
				outs[i] = new(closeBuffer)
				ins[i] = outs[i]
			}
			var missing atomic.Int64
			if err := feedCatFiles(strings.NewReader(list), ins, &missing); err != nil {
				t.Fatal(err)
			}
			if missing.Load() != 1 {
				t.Errorf("missing = %d, want 1", missing.Load())
			}
			where := map[string]int{}
			lines := 0
			for i, o := range outs {
				if !o.closed {
					t.Errorf("cat-file %d: stdin not closed", i)
				}
				for _, line := range strings.Split(strings.TrimSuffix(o.String(), "\n"), "\n") {
					if line == "" {
						continue
					}
					lines++
					_, path, ok := strings.Cut(line, " ")
					if !ok {
						t.Errorf("cat-file %d got %q, not a blob line", i, line)
					}
					if prev, seen := where[path]; seen && prev != i {
						t.Errorf("%s went to cat-file %d and %d", path, prev, i)
					}
					where[path] = i
				}
			}
			if lines != 4 {
				t.Errorf("%d blob lines fed, want 4", lines)
			}
		})
	}
}

// closeBuffer is a cat-file's standard input in tests.
type closeBuffer struct {
	bytes.Buffer
	closed bool
}

func (c *closeBuffer) Close() error { c.closed = true; return nil }
