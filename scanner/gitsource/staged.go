package gitsource

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
)

// StagedOptions selects what a staged scan reads.
type StagedOptions struct {
	Repo string // a directory inside the repository ("" = current)
	// Files limits the scan to these paths (as given on the command line,
	// relative to the current directory). A named directory limits the scope;
	// a named file without a staged change is scanned whole from the working
	// tree (source "file"), so `pre-commit run --files/--all-files` never
	// passes silently.
	Files   []string
	Stderr  io.Writer
	BaseEnv []string // environment git starts from, before hardening (nil = the process's; Git.BaseEnv)
	// Missing, if set, counts the blobs the scan needs that the repository
	// does not have (a partial clone's): a staged blob is then skipped, and
	// a missing earlier version of a file makes every token of its staged
	// blob count as added. Nothing is fetched. Nil: a missing blob is an
	// error (ErrGit), as before.
	Missing *atomic.Int64
}

// change is one staged file: an entry of `git diff-index --cached --raw`.
type change struct {
	oldOID, newOID, newMode, status, path string
	oldPath                               string // renames and copies: the source path
}

// ScanStaged scans what `git commit` would record now: the index blobs of
// staged added, modified, renamed or type-changed files, read from the
// object database, reporting tokens on added lines only (source "staged",
// index path, line in the new blob, no commit).
func ScanStaged(ctx context.Context, o StagedOptions, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	g := Git{Dir: o.Repo, BaseEnv: o.BaseEnv}.Cached()
	top, base, err := stagedRoot(ctx, g)
	if err != nil {
		return err
	}
	g.Dir = top
	named, err := resolveNamed(top, o.Files)
	if err != nil {
		return err
	}
	changes, deleted, err := stagedChanges(ctx, g, base, named.pathspecs())
	if err != nil {
		return err
	}
	absent, err := stagedMissing(ctx, g, o.Missing != nil, base, changes)
	if err != nil {
		return err
	}
	if err := scanChanges(ctx, g, changes, absent, sc, emit); err != nil {
		return err
	}
	if n := absent.counted(); n > 0 {
		o.Missing.Add(n)
	}
	return scanUnchanged(ctx, g, named.files, changes, deleted, sc, emit)
}

// absentSet is the blobs a staged scan may need that a partial clone
// lacks, and the count of those it did need. A nil set knows of none.
type absentSet struct {
	oids  map[string]bool
	count atomic.Int64
}

// counted is the number of missing blobs the scan needed.
func (a *absentSet) counted() int64 {
	if a == nil {
		return 0
	}
	return a.count.Load()
}

// has reports whether oid is missing, counting it when it is.
func (a *absentSet) has(oid string) bool {
	if a == nil || !a.oids[oid] {
		return false
	}
	a.count.Add(1)
	return true
}

// stagedMissing lists, in a partial clone and when missing objects are
// counted, the blobs of the index and of the compared trees (base, and
// the commits being merged, at the changed paths) that the repository
// does not have: `git rev-list --missing=print` names them without
// fetching, where cat-file or diff would stop with git's error. Elsewhere
// it lists nothing: a missing object stays git's error.
func stagedMissing(ctx context.Context, g Git, count bool, base string, changes []change) (*absentSet, error) {
	if !count || len(changes) == 0 {
		return nil, nil
	}
	if partial, err := g.partialClone(ctx); err != nil || !partial {
		return nil, err
	}
	heads, err := mergeHeads(ctx, g)
	if err != nil {
		return nil, err
	}
	var in strings.Builder
	for _, rev := range append([]string{base}, heads...) {
		in.WriteString(rev + "\n")
	}
	in.WriteString("--\n")
	for _, c := range changes {
		in.WriteString(c.path + "\n")
		if c.oldPath != "" {
			in.WriteString(c.oldPath + "\n")
		}
	}
	out, err := g.Output(ctx, strings.NewReader(in.String()),
		"rev-list", "--objects", "--missing=print", "--no-walk", "--indexed-objects", "--stdin")
	if err != nil {
		return nil, err
	}
	a := &absentSet{oids: map[string]bool{}}
	for _, line := range strings.Split(string(out), "\n") {
		if isMissingLine([]byte(line)) {
			a.oids[line[1:]] = true
		}
	}
	return a, nil
}

// stagedRoot returns the work tree's top directory and the tree the index
// is compared with: HEAD's, or the empty tree before the first commit. The
// common case costs one git process (a hook's latency is mostly spawns).
func stagedRoot(ctx context.Context, g Git) (top, base string, err error) {
	if out, err := g.Output(ctx, nil, "rev-parse", "--show-toplevel", "HEAD^{tree}", "--"); err == nil {
		if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) >= 2 {
			return lines[0], lines[1], nil
		}
	}
	out, err := g.Output(ctx, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", "", err
	}
	top = strings.TrimRight(string(out), "\n")
	if _, err := g.Output(ctx, nil, "rev-parse", "--verify", "-q", "HEAD"); err == nil {
		return "", "", fmt.Errorf("%w rev-parse: HEAD has no tree", ErrGit)
	}
	g.Dir, g.cache = top, nil // the top directory's own overrides, uncached
	empty, err := g.Output(ctx, strings.NewReader(""), "hash-object", "-t", "tree", "--stdin")
	if err != nil {
		return "", "", err
	}
	return top, strings.TrimSpace(string(empty)), nil
}

// stagedChanges lists the staged changes against base (renames detected, so
// a moved file reports only the lines it gained) and the staged deletions.
func stagedChanges(ctx context.Context, g Git, base string, pathspecs []string) ([]change, map[string]bool, error) {
	args := append([]string{"diff-index", "--cached", "--raw", "-z", "-M", "--no-abbrev",
		"--no-ext-diff", "--no-textconv", base, "--"}, pathspecs...)
	out, err := g.Output(ctx, nil, args...)
	if err != nil {
		return nil, nil, err
	}
	all := parseRaw(out)
	deleted := map[string]bool{}
	var changes []change
	for _, c := range all {
		switch {
		case c.status == "D":
			deleted[c.path] = true
		case c.status == "U" || c.newMode == "160000" || strings.Trim(c.newOID, "0") == "":
			// unmerged entries, submodules: no blob to commit
		default:
			changes = append(changes, c)
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].path < changes[j].path })
	return changes, deleted, nil
}

// parseRaw parses `--raw -z` output: ":<old mode> <new mode> <old> <new>
// <status>\0<path>\0" with a second path for renames and copies.
func parseRaw(out []byte) []change {
	fields := strings.Split(string(out), "\x00")
	var cs []change
	for i := 0; i < len(fields); i++ {
		meta := strings.Fields(strings.TrimPrefix(strings.TrimLeft(fields[i], "\n"), ":"))
		if len(meta) < 5 || i+1 >= len(fields) {
			continue
		}
		c := change{oldOID: meta[2], newOID: meta[3], newMode: meta[1], status: meta[4][:1], path: fields[i+1]}
		i++
		if (c.status == "R" || c.status == "C") && i+1 < len(fields) {
			c.oldPath, c.path = c.path, fields[i+1]
			i++
		}
		cs = append(cs, c)
	}
	return cs
}

// scanChanges reads every changed blob through one cat-file process and
// emits the tokens on the lines the change adds.
func scanChanges(ctx context.Context, g Git, changes []change, absent *absentSet, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	changes = slices.DeleteFunc(slices.Clone(changes), func(c change) bool { return absent.has(c.newOID) })
	if len(changes) == 0 {
		return nil
	}
	cat, err := g.startCatFile(ctx)
	if err != nil {
		return err
	}
	go func() {
		w := bufio.NewWriter(cat.in)
		for i, c := range changes {
			fmt.Fprintf(w, "%s %d\n", c.newOID, i)
		}
		_ = w.Flush()
		_ = cat.in.Close()
	}()
	err = readChanges(ctx, g, NewBatchReader(cat.out), changes, absent, sc, emit)
	if err != nil {
		_ = cat.proc.cmd.Process.Kill()
	}
	return pipelineError(err, cat.proc.wait())
}

// readChanges reads the changed blobs in request order and scans each.
func readChanges(ctx context.Context, g Git, r *BatchReader, changes []change, absent *absentSet, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	var buf []byte
	for i := range changes {
		h, err := r.Next()
		if err != nil {
			return err
		}
		if h.Missing || h.Rest != strconv.Itoa(i) {
			return fmt.Errorf("%w cat-file: staged object %s missing", ErrGit, changes[i].newOID)
		}
		if buf, err = r.ReadBody(h, buf); err != nil {
			return err
		}
		if err := scanChange(ctx, g, changes[i], buf, absent, sc, emit); err != nil {
			return err
		}
	}
	_, err := io.Copy(io.Discard, r.r)
	return err
}

// scanChange emits the tokens of one staged blob that sit on added lines.
// Earlier versions in absent are counted and dropped: against them every
// line counts as added.
func scanChange(ctx context.Context, g Git, c change, data []byte, absent *absentSet, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	var ms []scanner.Match
	if err := sc.ScanBytes(data, func(m scanner.Match) error { ms = append(ms, m); return nil }); err != nil {
		return fmt.Errorf("staged %s: %w", c.path, err)
	}
	if len(ms) == 0 {
		return nil
	}
	var olds []string // the versions a line must be new against
	if c.status != "A" {
		olds = append(olds, c.oldOID)
	}
	merged, err := mergeParents(ctx, g, c.path)
	if err != nil {
		return err
	}
	olds = slices.DeleteFunc(append(olds, merged...), absent.has)
	sets := make([]lineSet, 0, len(olds))
	for _, old := range olds {
		added, err := addedLines(ctx, g, old, c.newOID)
		if err != nil {
			return err
		}
		sets = append(sets, added)
	}
	for _, m := range ms {
		if addedInAll(sets, m.Line) {
			if err := emit(scanner.NewFinding(m, leakguard.SourceStaged, c.path)); err != nil {
				return err
			}
		}
	}
	return nil
}

func addedInAll(sets []lineSet, line int) bool {
	for _, s := range sets {
		if !s.has(line) {
			return false
		}
	}
	return true
}

// mergeParents returns, while a merge is being concluded (MERGE_HEAD
// exists), the blobs at path in the commits being merged: a line the
// commit records is new only if it is new against HEAD and each of them,
// so a merge does not re-report tokens its side branch already committed.
// It runs only for blobs that hold a token.
func mergeParents(ctx context.Context, g Git, path string) ([]string, error) {
	heads, err := mergeHeads(ctx, g)
	if err != nil {
		return nil, err
	}
	var blobs []string
	for _, head := range heads {
		id, err := g.Output(ctx, nil, "rev-parse", "--verify", "-q", head+":"+path)
		if err == nil {
			blobs = append(blobs, strings.TrimSpace(string(id)))
		}
	}
	return blobs, nil
}

// mergeHeads returns the commits MERGE_HEAD names (none outside a merge).
func mergeHeads(ctx context.Context, g Git) ([]string, error) {
	out, err := g.Output(ctx, nil, "rev-parse", "--git-path", "MERGE_HEAD")
	if err != nil {
		return nil, err
	}
	p := strings.TrimSpace(string(out))
	if !filepath.IsAbs(p) {
		p = filepath.Join(g.Dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, nil // no merge in progress
	}
	return slices.DeleteFunc(strings.Fields(string(data)), func(id string) bool { return !isObjectID(id) }), nil
}

// addedLines diffs two blobs (as text, never through textconv or an
// external diff) and returns the new blob's added line ranges.
func addedLines(ctx context.Context, g Git, oldOID, newOID string) (lineSet, error) {
	out, err := g.Output(ctx, nil, "diff", "--no-ext-diff", "--no-textconv", "--no-color", "--text",
		"-U0", oldOID, newOID)
	if err != nil {
		return nil, err
	}
	return parseHunks(string(out)), nil
}
