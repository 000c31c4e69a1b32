package gitsource

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
)

// maxAttributionPaths bounds the pathspecs given to the attribution pass
// (attributionPathspecs). Git matches every tree entry it visits against
// each pathspec, so beyond this many the pass walks the whole history's
// diffs instead and picks the wanted (blob, path) pairs out of them.
const maxAttributionPaths = 1024

// origin is the commit that introduced a blob at a path.
type origin struct {
	commit, author string
}

// blobAt is a blob at a path.
type blobAt struct{ oid, path string }

// attribute receives the blobs that hold tokens while the scan runs, then
// finds the commit that introduced each at its path in one pass over the
// history (findOrigins) and emits their findings. When nothing was found
// it runs no git process at all.
func attribute(ctx context.Context, g Git, revs Revisions, hits <-chan hit, emit func(scanner.Finding) error) error {
	var all []hit
	for h := range hits {
		all = append(all, h)
	}
	if len(all) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx) // another stage failed: its error is the scan's
	}
	origins, err := findOrigins(ctx, g, revs, all, maxAttributionPaths)
	if err != nil {
		return err
	}
	return emitHits(all, origins, emit)
}

// emitHits emits one finding per token of each hit, in path then blob
// then offset order.
func emitHits(hits []hit, origins map[blobAt]origin, emit func(scanner.Finding) error) error {
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].path != hits[j].path {
			return hits[i].path < hits[j].path
		}
		return hits[i].oid < hits[j].oid
	})
	for _, h := range hits {
		o := origins[blobAt{h.oid, h.path}]
		for _, m := range h.matches {
			f := scanner.NewFinding(m, leakguard.SourceGit, h.path+m.Entry) // Entry: inside an archive
			f.Commit, f.Author = o.commit, o.author
			if err := emit(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// logArgs is the attribution pass: every commit of the scanned revisions
// (read from stdin), oldest first in topological order, each diffed
// against every parent (merges too, -m) without rename detection, as raw
// entries. Signatures are never verified (verifying runs gpg.program or
// its like) and notes never read.
var logArgs = []string{"log", "--stdin", "--no-ext-diff", "--no-textconv", "--no-show-signature", "--no-notes", "--no-renames",
	"--full-history", "-m", "--topo-order", "--reverse", "--raw", "--no-abbrev", "-z",
	"--format=%x01%H%x00%ae"}

// findOrigins runs one `git log` over the scanned revisions and returns
// for every (blob, path) of hits the first commit whose diff adds or
// modifies that path to that blob. Merges are diffed against each parent
// and renames are not followed, so a blob introduced by a merge or a
// rename is attributed there. The hits' directories limit the walk when
// they are few enough (attributionPathspecs); the output is read as it
// comes, and git is stopped as soon as every pair has its commit. A pair
// git never shows keeps no commit. The pathspecs change which commits are
// shown, never their order (git sorts the whole walk topologically, then
// leaves out the commits that change nothing under the pathspecs), so
// every mode picks the same commit.
func findOrigins(ctx context.Context, g Git, revs Revisions, hits []hit, maxPaths int) (map[blobAt]origin, error) {
	want := make(map[blobAt]bool, len(hits))
	for _, h := range hits {
		want[blobAt{h.oid, h.path}] = true
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var out io.ReadCloser
	p, err := g.start(ctx, logArgs, func(cmd *exec.Cmd) error {
		cmd.Stdin = bytes.NewReader(attributionInput(revs, hits, maxPaths))
		var err error
		out, err = cmd.StdoutPipe()
		return err
	})
	if err != nil {
		return nil, err
	}
	found, rerr := readOrigins(out, want)
	done := rerr == nil && len(found) == len(want)
	if done || rerr != nil {
		stop() // every pair has its commit (the rest of the history is not needed), or the output is bad
	}
	werr := p.wait()
	var ge *gitErr
	switch {
	case done:
		return found, nil
	case rerr != nil && errors.As(werr, &ge) && ge.stderr != "":
		return nil, werr // git failed on its own: its message explains a bad stream best
	case rerr != nil:
		return nil, rerr
	case werr != nil:
		return nil, werr
	}
	return found, nil
}

// attributionInput is the attribution pass's standard input: the
// revisions, then "--" and the pathspecs of attributionPathspecs (literal:
// globalOptions) unless the pass walks every diff of the history.
func attributionInput(revs Revisions, hits []hit, maxPaths int) []byte {
	in := revs.stdin()
	specs, ok := attributionPathspecs(hits, maxPaths)
	if !ok {
		return in
	}
	return append(in, "--\n"+strings.Join(specs, "\n")+"\n"...)
}

// attributionPathspecs returns the pathspecs that limit the attribution
// pass to the hits: the directory of each hit's path (the path itself at
// the top level), each once, none under another, sorted. A directory
// rather than the path keeps the pathspecs few, and git matches every tree
// entry of every commit against each of them: 200 paths in one directory
// cost a 2,000-commit walk 0.3 s, their directory 0.02 s; the pass then
// reads the directory's other changes too, which readOrigins skips. ok is
// false when the pass must walk everything: more than maxPaths pathspecs,
// or a path that cannot be written on one line of git's standard input.
func attributionPathspecs(hits []hit, maxPaths int) (specs []string, ok bool) {
	dirs := map[string]bool{}
	for _, h := range hits {
		p := h.path
		if p == "" || strings.ContainsAny(p, "\n\r") {
			return nil, false
		}
		if i := strings.LastIndexByte(p, '/'); i > 0 {
			p = p[:i]
		}
		dirs[p] = true
	}
	for d := range dirs {
		if !underAny(d, dirs) {
			specs = append(specs, d)
		}
	}
	if len(specs) > maxPaths {
		return nil, false
	}
	sort.Strings(specs)
	return specs, true
}

// underAny reports whether one of p's leading directories is in dirs.
func underAny(p string, dirs map[string]bool) bool {
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && dirs[p[:i]] {
			return true
		}
	}
	return false
}

// ErrLogProtocol is returned for malformed `git log` output in attribution.
var ErrLogProtocol = errors.New("log: malformed attribution output")

// maxLogField bounds one NUL-terminated field of the attribution output
// (a path or an e-mail address; sanity, not policy).
const maxLogField = 1 << 20

// readOrigins reads `git log -z --raw --format=%x01%H%x00%ae` output:
// records "\x01<commit>\x00<email>\x00" each followed by its raw entries
// "[\n]:<modes> <old> <new> <status>\x00<path>\x00". For every wanted
// (blob, path) it keeps the first commit with an entry that is not a
// deletion setting path to blob, and it returns as soon as every wanted
// pair is found, or at the end of the output.
func readOrigins(r io.Reader, want map[blobAt]bool) (map[blobAt]origin, error) {
	found := map[blobAt]origin{}
	in := bufio.NewReaderSize(r, 256<<10)
	var cur origin
	for len(found) < len(want) {
		f, err := readField(in)
		if err == io.EOF {
			return found, nil
		}
		if err != nil {
			return nil, err
		}
		f = bytes.TrimLeft(f, "\n")
		switch {
		case len(f) > 0 && f[0] == '\x01':
			commit := string(f[1:])
			if commit == "" {
				return nil, fmt.Errorf("%w: commit record without an id", ErrLogProtocol)
			}
			email, err := readField(in)
			if err != nil {
				return nil, fmt.Errorf("%w: commit %q without its author", ErrLogProtocol, clip(f[1:]))
			}
			cur = origin{commit: commit, author: string(email)}
		case len(f) > 0 && f[0] == ':':
			if cur.commit == "" {
				return nil, fmt.Errorf("%w: raw entry before any commit", ErrLogProtocol)
			}
			path, err := readField(in)
			if err != nil {
				return nil, fmt.Errorf("%w: raw entry without its path", ErrLogProtocol)
			}
			if oid, ok := rawNewBlob(f); ok {
				k := blobAt{oid, string(path)}
				if _, seen := found[k]; want[k] && !seen {
					found[k] = cur
				}
			}
		}
	}
	return found, nil
}

// rawNewBlob returns the new object id of a raw entry
// ":<old mode> <new mode> <old oid> <new oid> <status>", unless the entry
// is a deletion or malformed.
func rawNewBlob(entry []byte) (string, bool) {
	raw := strings.Fields(string(entry))
	if len(raw) < 5 || strings.HasPrefix(raw[4], "D") {
		return "", false
	}
	return raw[3], true
}

// readField reads one NUL-terminated field (without the NUL); io.EOF at a
// clean end. A last field without its NUL is returned as it is.
func readField(in *bufio.Reader) ([]byte, error) {
	f, err := in.ReadSlice(0)
	if err == nil {
		return f[:len(f)-1], nil
	}
	if err == io.EOF {
		if len(f) == 0 {
			return nil, io.EOF
		}
		return f, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: %v", ErrLogProtocol, err)
	}
	long := append([]byte(nil), f...)
	for {
		f, err = in.ReadSlice(0)
		long = append(long, f...)
		if len(long) > maxLogField {
			return nil, fmt.Errorf("%w: field longer than %d bytes", ErrLogProtocol, maxLogField)
		}
		switch err {
		case nil:
			return long[:len(long)-1], nil
		case io.EOF:
			return long, nil
		case bufio.ErrBufferFull:
		default:
			return nil, fmt.Errorf("%w: %v", ErrLogProtocol, err)
		}
	}
}
