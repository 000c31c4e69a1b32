package gitsource

import (
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

func TestParsePushUpdates(t *testing.T) {
	t.Parallel()
	a, z := strings.Repeat("a", 40), strings.Repeat("0", 40)
	for _, tc := range []struct {
		name, in string
		n        int
		wantErr  bool
	}{
		{"empty", "", 0, false},
		{"blank line", "\n", 0, false},
		{"two", "refs/heads/a " + a + " refs/heads/a " + z + "\nrefs/heads/b " + z + " refs/heads/b " + a + "\n", 2, false},
		{"short", "refs/heads/a " + a + "\n", 0, true},
		{"bad oid", "refs/heads/a xyz refs/heads/a " + z, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePushUpdates(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr || len(got) != tc.n {
				t.Fatalf("got %d updates, err %v", len(got), err)
			}
		})
	}
}

// TestPushRangeScansWhatIsPushed builds a repository with a remote and
// checks that each kind of push update scans exactly the commits it sends.
func TestPushRangeScansWhatIsPushed(t *testing.T) {
	t.Parallel()
	remote := newRepo(t)
	pushed := token(t, "pushed")
	remote.write("a.txt", pushed+"\n")
	base := remote.commit("a@example.org", "on the remote")

	r := newRepo(t)
	r.git("remote", "add", "origin", remote.dir)
	r.git("fetch", "-q", "origin")
	r.git("checkout", "-q", "-b", "main", "origin/main")
	fresh := token(t, "fresh")
	r.write("b.txt", fresh+"\n")
	tip := r.commit("b@example.org", "new work")
	z := strings.Repeat("0", 40)
	unknown := strings.Repeat("b", 40)

	for _, tc := range []struct {
		name      string
		u         PushUpdate
		wantRange string
		want      []string
	}{
		{"existing branch", PushUpdate{"refs/heads/main", tip, "refs/heads/main", base}, base + ".." + tip, []string{fresh}},
		{"new branch", PushUpdate{"refs/heads/topic", tip, "refs/heads/topic", z}, tip + " --not --remotes", []string{fresh}},
		{"remote tip never fetched", PushUpdate{"refs/heads/main", tip, "refs/heads/main", unknown}, tip + " --not --remotes", []string{fresh}},
		{"deletion", PushUpdate{"(delete)", z, "refs/heads/old", base}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng, err := PushRange(ctx(t), Git{Dir: r.dir}, tc.u)
			if err != nil || rng != tc.wantRange {
				t.Fatalf("range %q, %v; want %q", rng, err, tc.wantRange)
			}
			if rng == "" {
				return
			}
			got := collect(t, func(emit func(scanner.Finding) error) error {
				return ScanHistory(ctx(t), HistoryOptions{Repo: r.dir, Range: rng}, newScanner(), emit)
			})
			if len(got) != len(tc.want) {
				t.Fatalf("%d findings, want %d", len(got), len(tc.want))
			}
			for i, tok := range tc.want {
				if got[i].TokenHash != patterns.HashToken(tok) || got[i].Commit != tip {
					t.Errorf("finding %d: %+v", i, got[i])
				}
			}
		})
	}
}
