// Package ignore holds the token hashes a scan does not report: the
// .leakguardignore list at the root of each scanned tree and the
// token_hash of every finding of a baseline report (an earlier JSON Lines
// report). It remembers where each entry was listed and whether it
// matched anything, so that stale entries can be reported.
//
// Entries are hashes only. A line that is not one is refused with its file
// and line number, never quoted: a plaintext token pasted by mistake must
// not reach a message.
package ignore

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/leakguard/leakguard"
)

// FileName is the ignore list read at the root of a scanned tree: one
// token hash (SHA-256 hex, optionally "sha256:"-prefixed) per line; "#"
// starts a comment.
const FileName = ".leakguardignore"

// List is a set of suppressed token hashes. Its methods are safe for
// concurrent use; the zero value is not usable, use New or Load.
type List struct {
	mu      sync.Mutex
	entries map[string]*entry
	order   []string
}

type entry struct {
	where string // "file:line"
	used  bool
}

// New returns an empty list.
func New() *List { return &List{entries: map[string]*entry{}} }

// Load reads FileName in every root (each file once, missing ones
// skipped) and then, if baseline is not empty, the baseline report.
func Load(roots []string, baseline string) (*List, error) {
	l := New()
	seen := map[string]bool{}
	for _, root := range roots {
		path := filepath.Join(root, FileName)
		if seen[filepath.Clean(path)] {
			continue
		}
		seen[filepath.Clean(path)] = true
		if err := l.readFile(path); err != nil {
			return nil, err
		}
	}
	if baseline != "" {
		if err := l.readBaselineFile(baseline); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// readFile adds the ignore list at path, if there is one.
func (l *List) readFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ignore file: %w", err)
	}
	defer f.Close()
	return l.ReadIgnore(f, path)
}

// Match reports whether hash is suppressed, and marks its entry used.
func (l *List) Match(hash string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[hash]
	if ok {
		e.used = true
	}
	return ok
}

// Add suppresses hash, listed at where ("file:line"). A hash listed twice
// keeps its first place.
func (l *List) Add(hash, where string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.entries[hash]; dup {
		return
	}
	l.entries[hash] = &entry{where: where}
	l.order = append(l.order, hash)
}

// Len is the number of distinct hashes.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.order)
}

// Unmatched lists the entries that suppressed nothing, as "where: hash",
// in the order they were read.
func (l *List) Unmatched() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, h := range l.order {
		if e := l.entries[h]; !e.used {
			out = append(out, e.where+": "+h)
		}
	}
	return out
}

// ReadIgnore adds the hashes of an ignore list read from r; name is how
// its lines are located in messages and in Unmatched.
func (l *List) ReadIgnore(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		h := strings.ToLower(strings.TrimPrefix(fields[0], "sha256:"))
		if !leakguard.ValidHash(h) {
			// never echo the entry: a pasted plaintext token must not reach a log
			return fmt.Errorf("%s:%d: not a token hash (64 hex digits, the token_hash of a finding)", name, n)
		}
		l.Add(h, fmt.Sprintf("%s:%d", name, n))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// readBaselineFile adds every token_hash of the JSON Lines report at path.
func (l *List) readBaselineFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	return l.ReadBaseline(f, path)
}

// ReadBaseline adds every token_hash of a JSON Lines report read from r
// (leakguard scan --format json); name locates its lines. Blank lines are
// skipped; any other line must be a finding with a valid token_hash.
func (l *List) ReadBaseline(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec struct {
			TokenHash string `json:"token_hash"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return fmt.Errorf("baseline %s:%d: not a JSON Lines report (leakguard scan --format json): %v", name, n, err)
		}
		if !leakguard.ValidHash(rec.TokenHash) {
			return fmt.Errorf("baseline %s:%d: no valid token_hash", name, n)
		}
		l.Add(rec.TokenHash, fmt.Sprintf("%s:%d", name, n))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("baseline %s: %w", name, err)
	}
	return nil
}
