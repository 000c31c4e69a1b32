package scanner

import (
	"fmt"
	"io"

	"github.com/leakguard/leakguard/patterns"
)

// Scanner finds tokens of a catalog. It is safe for concurrent use.
type Scanner struct {
	cat *patterns.Catalog
}

// New returns a scanner for the catalog.
func New(c *patterns.Catalog) *Scanner { return &Scanner{cat: c} }

// Catalog returns the scanner's catalog.
func (s *Scanner) Catalog() *patterns.Catalog { return s.cat }

// ScanBytes calls fn for every token in data, in offset order. It stops at
// the first error fn returns and returns it.
func (s *Scanner) ScanBytes(data []byte, fn func(Match) error) error {
	for _, m := range Reference(s.cat, data) {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// Scan reads r to the end and calls fn for every token, in offset order.
// TODO(issue 3): stream in bounded chunks with Aho-Corasick prefiltering.
func (s *Scanner) Scan(r io.Reader, fn func(Match) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("scan: read: %w", err)
	}
	return s.ScanBytes(data, fn)
}
