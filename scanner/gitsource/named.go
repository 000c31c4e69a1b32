package gitsource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
)

// namedFile is a path given on the command line and its repository path.
type namedFile struct {
	arg, rel string
	dir      bool
}

// named is the scope given by file arguments.
type named struct {
	files []namedFile
}

// pathspecs are the repository paths of the scope (none = whole index).
func (n named) pathspecs() []string {
	out := make([]string, 0, len(n.files))
	for _, f := range n.files {
		out = append(out, f.rel)
	}
	return out
}

// resolveNamed maps arguments (relative to the current directory) to
// repository paths under top; paths outside the repository are an error.
func resolveNamed(top string, args []string) (named, error) {
	var n named
	realTop, err := filepath.EvalSymlinks(top)
	if err != nil {
		return n, fmt.Errorf("staged: %w", err)
	}
	for _, arg := range args {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return n, fmt.Errorf("staged: %w", err)
		}
		dir, base := filepath.Split(abs)
		if realDir, err := filepath.EvalSymlinks(dir); err == nil {
			abs = filepath.Join(realDir, base)
		}
		rel, err := filepath.Rel(realTop, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return n, fmt.Errorf("staged: %s is outside the repository %s", arg, top)
		}
		st, err := os.Stat(arg)
		n.files = append(n.files, namedFile{arg: arg, rel: filepath.ToSlash(rel), dir: err == nil && st.IsDir()})
	}
	return n, nil
}

// scanUnchanged scans whole the named files that have no staged change, as
// files of the working tree (what `pre-commit run --files/--all-files`
// asks for). A named path that is neither on disk nor in the index is an
// error; one deleted from the working tree but still in the index is not
// part of the commit's changes and is skipped.
func scanUnchanged(ctx context.Context, g Git, files []namedFile, changes []change, deleted map[string]bool, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	staged := map[string]bool{}
	for _, c := range changes {
		staged[c.path] = true
	}
	for _, f := range files {
		if f.dir || staged[f.rel] || deleted[f.rel] {
			continue
		}
		data, err := readWorktree(f.arg)
		if errors.Is(err, fs.ErrNotExist) {
			if tracked, terr := isTracked(ctx, g, f.rel); terr != nil || !tracked {
				return firstNonNil(terr, fmt.Errorf("staged: %s: no such file in the working tree or the index", f.arg))
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("staged: %w", err)
		}
		err = sc.ScanBytes(data, func(m scanner.Match) error {
			return emit(scanner.NewFinding(m, leakguard.SourceFile, f.arg))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readWorktree reads a file; a symbolic link's content is its target, as
// git records it.
func readWorktree(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		return []byte(target), err
	}
	return os.ReadFile(path)
}

// isTracked reports whether the index has an entry at path.
func isTracked(ctx context.Context, g Git, rel string) (bool, error) {
	out, err := g.Output(ctx, nil, "ls-files", "-z", "--", rel)
	if err != nil {
		return false, err
	}
	return len(out) > 0, nil
}

func firstNonNil(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
