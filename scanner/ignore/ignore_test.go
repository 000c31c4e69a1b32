package ignore

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Hashes listed in the fixtures under testdata/.
const (
	hashOne   = "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"
	hashTwo   = "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3"
	hashThree = "8b5b9db0c13db24256c829aa364aa90c6d2eba318b9232a4ab9313b954d3555f"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	list := filepath.Join("testdata", "list", FileName)
	both := filepath.Join("testdata", "both")
	baseline := filepath.Join("testdata", "baseline", "report.json")
	tests := []struct {
		name     string
		roots    []string
		baseline string
		// entries are the "where: hash" lines of Unmatched before any match
		entries []string
		err     string // substring of the error, when one is wanted
		not     string // what the error must not quote
	}{
		{name: "ignore file", roots: []string{"testdata/list"},
			entries: []string{list + ":2: " + hashOne, list + ":4: " + hashTwo}},
		{name: "same root twice reads once", roots: []string{"testdata/list", "testdata/list/."},
			entries: []string{list + ":2: " + hashOne, list + ":4: " + hashTwo}},
		{name: "no ignore file", roots: []string{"testdata/baseline"}},
		{name: "no roots", roots: nil},
		{name: "only comments", roots: []string{"testdata/empty"}},
		{name: "baseline", baseline: baseline,
			entries: []string{baseline + ":1: " + hashThree, baseline + ":3: " + hashOne}},
		{name: "ignore file before baseline", roots: []string{both}, baseline: filepath.Join(both, "report.json"),
			entries: []string{filepath.Join(both, FileName) + ":1: " + hashOne, filepath.Join(both, "report.json") + ":2: " + hashThree}},
		{name: "not a hash", roots: []string{"testdata/bad-entry"},
			err: filepath.Join("testdata", "bad-entry", FileName) + ":3: not a token hash", not: "pasted-secret"},
		{name: "baseline not JSON", baseline: "testdata/bad-baseline/report.json",
			err: "baseline testdata/bad-baseline/report.json:2: not a JSON Lines report", not: "this is text"},
		{name: "baseline without token_hash", baseline: "testdata/no-hash/report.json",
			err: "baseline testdata/no-hash/report.json:1: no valid token_hash"},
		{name: "missing baseline", baseline: "testdata/missing.json", err: "baseline: open testdata/missing.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := Load(tt.roots, tt.baseline)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				if tt.not != "" && strings.Contains(err.Error(), tt.not) {
					t.Errorf("error %q quotes the entry", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := l.Unmatched(), tt.entries; !reflect.DeepEqual(got, want) {
				t.Errorf("entries:\n%q\nwant:\n%q", got, want)
			}
			if got, want := l.Len(), len(tt.entries); got != want {
				t.Errorf("Len() = %d, want %d", got, want)
			}
		})
	}
}

func TestMatchMarksUsed(t *testing.T) {
	t.Parallel()
	l, err := Load([]string{"testdata/list"}, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hash string
		want bool
	}{
		{hashOne, true},
		{hashThree, false},
		{hashOne, true}, // a second match is still a match
		{strings.ToUpper(hashTwo), false},
	}
	for _, tt := range tests {
		if got := l.Match(tt.hash); got != tt.want {
			t.Errorf("Match(%.8s…) = %v, want %v", tt.hash, got, tt.want)
		}
	}
	want := []string{filepath.Join("testdata", "list", FileName) + ":4: " + hashTwo}
	if got := l.Unmatched(); !reflect.DeepEqual(got, want) {
		t.Errorf("Unmatched() = %q, want %q", got, want)
	}
}

// TestPastedTokenNotEchoed: a plaintext token pasted instead of its hash
// is refused by line number; the token is in no message.
func TestPastedTokenNotEchoed(t *testing.T) {
	t.Parallel()
	// built here, not committed: a token-shaped fixture would trip scans
	// of this repository
	tok := "lgu_" + strings.Repeat("Zq9", 12)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("# ok\n"+tok+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{dir}, "")
	if err == nil || !strings.Contains(err.Error(), FileName+":2:") || strings.Contains(err.Error(), tok[4:]) {
		t.Errorf("error %v: want the line located and the token not quoted", err)
	}
}

func TestReadIgnoreFromReader(t *testing.T) {
	t.Parallel()
	l := New()
	in := "SHA256:" + strings.ToUpper(hashOne) + "\n"
	err := l.ReadIgnore(strings.NewReader(in), "stdin")
	// only the lower-case "sha256:" prefix is stripped
	if err == nil || !strings.Contains(err.Error(), "stdin:1:") {
		t.Fatalf("error %v, want stdin:1", err)
	}
	if err := l.ReadIgnore(strings.NewReader("sha256:"+strings.ToUpper(hashOne)+"\n"), "list"); err != nil {
		t.Fatal(err)
	}
	if !l.Match(hashOne) {
		t.Error("an upper-case hash did not match its lower-case form")
	}
}
