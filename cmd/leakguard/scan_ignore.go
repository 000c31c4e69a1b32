package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ignoreFileName is the ignore list read at the root of a scanned tree: one
// token hash (SHA-256 hex, optionally "sha256:"-prefixed) per line, "#"
// starts a comment.
const ignoreFileName = ".leakguardignore"

// suppressions are the token hashes that a scan does not report, each with
// where it was listed and whether it matched anything.
type suppressions struct {
	entries map[string]*suppression
	order   []string
}

type suppression struct {
	where string // "file:line"
	used  bool
}

// match reports whether hash is suppressed, and marks its entry used.
func (s *suppressions) match(hash string) bool {
	e, ok := s.entries[hash]
	if ok {
		e.used = true
	}
	return ok
}

func (s *suppressions) add(hash, where string) {
	if _, dup := s.entries[hash]; dup {
		return
	}
	s.entries[hash] = &suppression{where: where}
	s.order = append(s.order, hash)
}

// unmatched lists the entries that suppressed nothing, in file order.
func (s *suppressions) unmatched() []string {
	var out []string
	for _, h := range s.order {
		if e := s.entries[h]; !e.used {
			out = append(out, e.where+": "+h)
		}
	}
	return out
}

// loadSuppressions reads .leakguardignore in every root and the baseline
// report, if any.
func loadSuppressions(roots []string, baseline string) (*suppressions, error) {
	s := &suppressions{entries: map[string]*suppression{}}
	seen := map[string]bool{}
	for _, root := range roots {
		path := filepath.Join(root, ignoreFileName)
		if seen[filepath.Clean(path)] {
			continue
		}
		seen[filepath.Clean(path)] = true
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ignore file: %w", err)
		}
		err = readIgnoreFile(f, path, s)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if baseline != "" {
		if err := readBaseline(baseline, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readIgnoreFile adds the hashes of an ignore list.
func readIgnoreFile(r io.Reader, name string, s *suppressions) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		h := strings.ToLower(strings.TrimPrefix(fields[0], "sha256:"))
		if !isTokenHash(h) {
			// never echo the entry: a pasted plaintext token must not reach a log
			return fmt.Errorf("%s:%d: not a token hash (64 hex digits, the token_hash of a finding)", name, n)
		}
		s.add(h, fmt.Sprintf("%s:%d", name, n))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// readBaseline adds every token_hash of a JSON Lines report.
func readBaseline(path string, s *suppressions) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
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
			return fmt.Errorf("baseline %s:%d: not a JSON Lines report (leakguard scan --format json): %v", path, n, err)
		}
		if !isTokenHash(rec.TokenHash) {
			return fmt.Errorf("baseline %s:%d: no valid token_hash", path, n)
		}
		s.add(rec.TokenHash, fmt.Sprintf("%s:%d", path, n))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	return nil
}

func isTokenHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// reportUnmatched lists ignore and baseline entries that suppressed nothing.
func (r *scanRun) reportUnmatched() {
	if r.o.quiet {
		return
	}
	list := r.col.sup.unmatched()
	for _, e := range list {
		warnf(r.sio.Stderr, "%s matched no finding (stale entry?)", e)
	}
}
