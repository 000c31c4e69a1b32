package scanner

import (
	"bytes"
	"context"
	"errors"
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
	// emit, if set, takes each match with its path instead of out.
	emit func(m Match, path string) error
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
		if u.emit != nil {
			return u.emit(m, path)
		}
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

// ScanBlob scans one blob of a repository's history, at path, like
// ScanBytes, and when lim is not nil and the blob is an archive
// (archive.Detect), opens it as ScanPaths opens files: a match inside has
// Entry set to its "!" path below the blob ("!lib/app.jar!config.yml").
// Problems met inside (a budget hit, a corrupt or encrypted entry, each an
// *archive.Error naming where) come back together in the error after
// every match has been reported, as does a *DecodeBudgetError; any other
// error is fn's or a read error.
func (s *Scanner) ScanBlob(data []byte, path string, lim *archive.Limits, fn func(Match) error) error {
	if lim == nil || archive.Detect(data[:min(len(data), archive.HeadLen)]) == archive.None {
		return s.ScanBytes(data, fn)
	}
	return s.ScanBlobReader(bytes.NewReader(data), path, lim, fn)
}

// ScanBlobReader is ScanBlob for a blob too large to hold in memory.
func (s *Scanner) ScanBlobReader(r io.Reader, path string, lim *archive.Limits, fn func(Match) error) error {
	if lim == nil {
		return s.Scan(r, fn)
	}
	cr := &countingReader{ctx: context.Background(), r: r}
	u := unpacker{s: s, read: cr, path: path, lim: lim.OrDefault(), emit: func(m Match, p string) error {
		m.Entry = strings.TrimPrefix(p, path)
		return fn(m)
	}}
	err := u.scan(cr, path, 0)
	if !u.opened {
		return err
	}
	if err != nil {
		var ae *archive.Error
		if !errors.As(err, &ae) && !isDecodeBudget(err) {
			return err // fn's, or reading the blob
		}
		u.budget.Problem(path, err)
	}
	if ps := u.budget.Problems(); len(ps) > 0 {
		return problems(ps)
	}
	return nil
}

func isDecodeBudget(err error) bool {
	var de *DecodeBudgetError
	return errors.As(err, &de)
}
