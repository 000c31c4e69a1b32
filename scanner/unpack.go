package scanner

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner/archive"
)

// problems are the problems met in one file's archives, each an
// *archive.Error naming where; deliver reports each to OnError.
type problems []error

func (p problems) Error() string {
	msgs := make([]string, len(p))
	for i, err := range p {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (p problems) Unwrap() []error { return p }

// unpacker scans one top-level file whose archives are opened: it offers
// the first bytes of the file, and of every entry, to archive.Detect
// (bytes the scan reads anyway, so an ordinary file costs a few byte
// comparisons) and walks what is an archive, entries scanned like files
// at their "!" paths.
type unpacker struct {
	s              *Scanner
	read           *countingReader // the top-level file
	path           string          // its path
	budget         *archive.Budget // made at the first archive
	lim            archive.Limits
	includeAllowed bool
	out            []Finding
	opened         bool
}

// scanArchives scans the top-level file cr at path, opening archives.
func (s *Scanner) scanArchives(cr *countingReader, path string, opts *WalkOptions) ([]Finding, int64, error) {
	u := unpacker{s: s, read: cr, path: path, lim: opts.Archives.OrDefault(), includeAllowed: opts.IncludeAllowed}
	err := u.scan(cr, path, 0)
	if !u.opened {
		return u.out, cr.n, err
	}
	// Entries come in archive order; findings go out in path order.
	slices.SortStableFunc(u.out, func(a, b Finding) int { return strings.Compare(a.Path, b.Path) })
	if err != nil {
		u.budget.Problem(path, err)
	}
	if ps := u.budget.Problems(); len(ps) > 0 {
		return u.out, cr.n, problems(ps)
	}
	return u.out, cr.n, nil
}

// scan scans r, at path, depth archives deep.
func (u *unpacker) scan(r io.Reader, path string, depth int) error {
	open := func(head []byte, rest io.Reader) (bool, error) { return u.open(head, rest, path, depth) }
	return u.s.scanOpen(r, open, func(m Match) error {
		if !m.Allowed || u.includeAllowed {
			u.out = append(u.out, NewFinding(m, leakguard.SourceFile, path))
		}
		return nil
	})
}

// open walks the stream head+rest when it is an archive and may still be
// opened; an archive too deep is a problem and is scanned as bytes.
func (u *unpacker) open(head []byte, rest io.Reader, path string, depth int) (bool, error) {
	k := archive.Detect(head)
	if k == archive.None {
		return false, nil
	}
	if u.budget == nil {
		read := u.read
		u.budget = archive.NewBudget(u.lim, u.path, func() int64 { return read.n })
	}
	u.opened = true
	if depth >= u.lim.MaxDepth {
		u.budget.Problem(path, fmt.Errorf("%s archive nested more than %d deep: not opened, scanned as plain bytes", k, u.lim.MaxDepth))
		return false, nil
	}
	r := io.Reader(bytes.NewReader(head))
	if rest != nil {
		r = io.MultiReader(r, rest)
	}
	u.budget.Walk(r, k, path, func(p string, content io.Reader) {
		if err := u.scan(content, p, depth+1); err != nil {
			u.budget.Problem(p, err)
		}
	})
	return true, nil
}
