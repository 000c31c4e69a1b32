package ignore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
)

// seed adds every fixture named name under testdata/ to f's corpus.
func seed(f *testing.F, name string) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*", name))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no %s fixtures: %v", name, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
}

// checkEntries fails unless every entry of l is "where: hash" with a valid
// hash.
func checkEntries(t *testing.T, l *List) {
	t.Helper()
	for _, e := range l.Unmatched() {
		i := strings.LastIndex(e, ": ")
		if i < 0 || !leakguard.ValidHash(e[i+2:]) {
			t.Fatalf("entry %q does not end in a token hash", e)
		}
	}
}

// FuzzReadIgnore: any input yields valid hashes or an error that quotes
// no long field of the input (a pasted token must not reach a message).
func FuzzReadIgnore(f *testing.F) {
	seed(f, FileName)
	f.Add("sha256:" + strings.Repeat("AB", 32) + " # c\n\n#\n")
	f.Fuzz(func(t *testing.T, in string) {
		l := New()
		err := l.ReadIgnore(strings.NewReader(in), "list")
		checkEntries(t, l)
		if err == nil {
			return
		}
		for _, field := range strings.Fields(in) {
			if len(field) >= 20 && strings.Contains(err.Error(), field) {
				t.Fatalf("error %q quotes the input", err)
			}
		}
	})
}

// FuzzReadBaseline: any input yields valid hashes or an error.
func FuzzReadBaseline(f *testing.F) {
	seed(f, "report.json")
	f.Fuzz(func(t *testing.T, in string) {
		l := New()
		_ = l.ReadBaseline(strings.NewReader(in), "report.json")
		checkEntries(t, l)
	})
}
