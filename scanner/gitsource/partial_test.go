package gitsource

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// partialSource is a repository with a token in each of three files, in
// separate commits, and a large file, served to partial clones over file://.
type partialSource struct {
	*testRepo
	toks    map[string]string // path → token
	commits map[string]string // path → commit that added it
}

func newPartialSource(t *testing.T) *partialSource {
	t.Helper()
	s := &partialSource{testRepo: newRepo(t), toks: map[string]string{}, commits: map[string]string{}}
	for i, p := range []string{"kept.txt", "gone/deep.txt", "other.txt"} {
		s.toks[p] = token(t, "partial"+strconv.Itoa(i))
		s.write(p, "line\n"+s.toks[p]+"\n")
		s.commits[p] = s.commit("dev@example.org", "add "+p)
	}
	s.write("big.txt", strings.Repeat("filler line of a large file\n", 4096)) // 112 KiB
	s.commit("dev@example.org", "large file")
	s.git("config", "uploadpack.allowFilter", "true")
	return s
}

// clone makes a partial clone of s with filter, checks out only the paths
// given (fetching their blobs), then points its promisor remote at a
// program that records any run in the returned marker file: a fetch
// attempt by a scan would run it.
func (s *partialSource) clone(filter string, checkout ...string) (*testRepo, string) {
	s.t.Helper()
	dir := s.t.TempDir()
	s.git("clone", "-q", "--no-local", "--no-checkout", "--filter="+filter, "file://"+s.dir, dir)
	c := &testRepo{t: s.t, dir: dir}
	if len(checkout) > 0 {
		c.git(append([]string{"checkout", "-q", "HEAD", "--"}, checkout...)...)
	}
	marker := filepath.Join(s.t.TempDir(), "fetched")
	prog := filepath.Join(s.t.TempDir(), "upload-pack")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho ran >> "+shellQuote(marker)+"\nexit 1\n"), 0o755); err != nil {
		s.t.Fatal(err)
	}
	c.git("config", "remote.origin.url", "ext::"+prog)
	return c, marker
}

// missingCount is what plain git says is missing from the clone's history.
func missingCount(t *testing.T, c *testRepo) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(c.git("rev-list", "--objects", "--missing=print", "--all"), "\n") {
		if strings.HasPrefix(line, "?") {
			n++
		}
	}
	return n
}

// objectCount is the number of objects in the clone's object database.
func objectCount(t *testing.T, c *testRepo) string {
	t.Helper()
	return c.git("count-objects", "-v")
}

func TestScanHistoryPartialClone(t *testing.T) {
	t.Parallel()
	src := newPartialSource(t)
	for _, tc := range []struct {
		name, filter string
		checkout     []string
		present      []string // paths whose tokens must be found
		missing      int
	}{
		{"full clone", "blob:limit=1g", []string{"."}, []string{"kept.txt", "gone/deep.txt", "other.txt"}, 0},
		{"blob:none, one file checked out", "blob:none", []string{"kept.txt"}, []string{"kept.txt"}, 3},
		{"blob:none, nothing checked out", "blob:none", nil, nil, 4},
		{"blob:limit, large blob missing", "blob:limit=1k", nil, []string{"kept.txt", "gone/deep.txt", "other.txt"}, 1},
		{"tree:0, one file checked out", "tree:0", []string{"kept.txt"}, []string{"kept.txt"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, marker := src.clone(tc.filter, tc.checkout...)
			want := tc.missing
			if want < 0 {
				want = missingCount(t, c) // trees: git's own count
			}
			if got := missingCount(t, c); got != want {
				t.Fatalf("setup: git counts %d missing objects, want %d", got, want)
			}
			before := objectCount(t, c)
			var missing atomic.Int64
			var got []scanner.Finding
			err := ScanHistory(ctx(t), HistoryOptions{Repo: c.dir, Missing: &missing}, newScanner(),
				func(f scanner.Finding) error { got = append(got, f); return nil })
			if tc.filter == "tree:0" && err != nil {
				// Attribution walks the history's trees, which a
				// tree-filtered clone lacks: git's error, never a fetch.
				t.Logf("tree:0: %v", err)
			} else if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if data, _ := os.ReadFile(marker); len(data) > 0 {
				t.Fatalf("the scan tried to fetch from the promisor remote")
			}
			if after := objectCount(t, c); after != before {
				t.Fatalf("object database changed:\n%s\nthen\n%s", before, after)
			}
			if err != nil {
				return
			}
			if got, want := missing.Load(), int64(want); got != want {
				t.Errorf("missing %d, want %d", got, want)
			}
			wantKeys := map[key]int{}
			for _, p := range tc.present {
				wantKeys[key{patterns.HashToken(src.toks[p]), p, 2, src.commits[p], "dev@example.org", "git"}] = 1
			}
			if diff := diffKeys(keys(got), wantKeys); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

// TestScanHistoryPartialCloneStrict: without a Missing counter a missing
// object stays git's error, and the checkpoint of a scan that missed
// objects is not updated.
func TestScanHistoryPartialCloneStrict(t *testing.T) {
	t.Parallel()
	c, marker := newPartialSource(t).clone("blob:none", "kept.txt")
	err := ScanHistory(ctx(t), HistoryOptions{Repo: c.dir}, newScanner(), func(scanner.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "git") {
		t.Fatalf("scan without a counter: %v, want git's error", err)
	}
	cp := filepath.Join(t.TempDir(), "cp.json")
	var missing atomic.Int64
	var msgs strings.Builder
	err = ScanHistory(ctx(t), HistoryOptions{Repo: c.dir, Checkpoint: cp, Stderr: &msgs, Missing: &missing}, newScanner(),
		func(scanner.Finding) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cp); !os.IsNotExist(err) {
		t.Errorf("checkpoint written although %d objects were missing", missing.Load())
	}
	if want := "not updated: " + strconv.FormatInt(missing.Load(), 10) + " objects missing"; !strings.Contains(msgs.String(), want) {
		t.Errorf("stderr %q, want %q", msgs.String(), want)
	}
	if data, _ := os.ReadFile(marker); len(data) > 0 {
		t.Fatal("fetch attempted")
	}
	// Control: plain git, allowed the transport, does try to fetch.
	cmd := exec.Command("git", "-c", "protocol.ext.allow=always", "cat-file", "-p", "HEAD:other.txt")
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	_ = cmd.Run()
	if data, _ := os.ReadFile(marker); len(data) == 0 {
		t.Fatal("plain git did not run the promisor remote's program: the no-fetch checks test nothing")
	}
}

// TestScanStagedPartialClone stages, in a blobless clone, a blob the clone
// does not have (as `git reset --soft` or sparse checkouts leave behind)
// beside a new token.
func TestScanStagedPartialClone(t *testing.T) {
	t.Parallel()
	src := newPartialSource(t)
	c, marker := src.clone("blob:none", "kept.txt")
	gone := src.git("rev-parse", "HEAD:gone/deep.txt")
	c.git("read-tree", "HEAD") // the index as checked out, from trees only
	c.git("update-index", "--add", "--cacheinfo", "100644,"+gone+",restored.txt")
	tok := token(t, "partialstaged")
	c.write("new.txt", tok+"\n")
	c.git("add", "new.txt")
	for _, tc := range []struct {
		name    string
		count   bool
		missing int64
	}{
		{"counted", true, 1},
		{"strict", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var missing atomic.Int64
			o := StagedOptions{Repo: c.dir}
			if tc.count {
				o.Missing = &missing
			}
			var got []scanner.Finding
			err := ScanStaged(ctx(t), o, newScanner(), func(f scanner.Finding) error { got = append(got, f); return nil })
			if data, _ := os.ReadFile(marker); len(data) > 0 {
				t.Fatal("fetch attempted")
			}
			if !tc.count {
				if err == nil {
					t.Fatal("strict staged scan of a missing blob succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := missing.Load(), tc.missing; got != want {
				t.Errorf("missing %d, want %d", got, want)
			}
			if len(got) != 1 || got[0].Path != "new.txt" || got[0].TokenHash != patterns.HashToken(tok) {
				t.Fatalf("findings %+v, want the one in new.txt", got)
			}
		})
	}
}
