package scanjob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
	"github.com/leakguard/leakguard/scanner/diff"
	"github.com/leakguard/leakguard/scanner/gitsource"
)

// scanPaths scans files, directories and "-" (stdin) with the engine's
// parallel walker, reporting unreadable paths and going on.
func (j *Job) scanPaths(ctx context.Context, paths []string) error {
	j.col.stats = &j.stats
	var files []string
	stdin := false
	for _, p := range paths {
		if p == "-" {
			stdin = true
		} else {
			files = append(files, p)
		}
	}
	if stdin {
		j.scanStdin(ctx)
	}
	if len(files) == 0 {
		return ctx.Err()
	}
	opts := scanner.WalkOptions{
		IncludeAllowed: true, // the collector drops and counts them
		OnError:        func(path string, err error) { j.problem(ctx, path, err) },
		OnFile: func(path string, size int64) {
			j.stats.inputs.Add(1)
			j.stats.bytes.Add(size)
			j.o.Logger.Debug().Str("path", path).Int64("bytes", size).Msg("scanned file")
		},
	}
	if !j.o.NoArchives {
		opts.Archives = &archive.Limits{} // the defaults
	}
	err := j.sc.ScanPaths(ctx, files, opts, j.col.add)
	if errors.Is(err, scanner.ErrIncomplete) {
		return nil // every failed path went through OnError
	}
	return err
}

// problem reports what could not be read at path (a warning naming the
// path, and exit 2), unless the run was interrupted, which Run reports.
func (j *Job) problem(ctx context.Context, path string, err error) {
	if ctx.Err() != nil {
		return
	}
	j.Errorf("%s", j.sc.ProblemText(path, err))
}

// scanStdin scans standard input (source "stdin", no path) until its end
// or until ctx is cancelled.
func (j *Job) scanStdin(ctx context.Context) {
	if j.o.Stdin == nil {
		j.Errorf("stdin: not available")
		return
	}
	j.stats.inputs.Add(1)
	in, release := j.o.Stdin(ctx)
	defer release()
	err := j.sc.Scan(countingReader{in, &j.stats.bytes}, func(m scanner.Match) error {
		return j.col.add(scanner.NewFinding(m, leakguard.SourceStdin, ""))
	})
	if err != nil && ctx.Err() == nil { // an interruption is reported once, by Run
		j.Errorf("stdin: %v", err)
	}
}

// scanDiffs scans unified diffs: stdin, or the files named.
func (j *Job) scanDiffs(ctx context.Context) error {
	names := j.o.Paths
	if len(names) == 0 {
		names = []string{"-"}
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		in, closeIn, err := j.openInput(ctx, name)
		if err != nil {
			j.Errorf("%v", err)
			continue
		}
		j.stats.inputs.Add(1)
		err = j.scanDiff(countingReader{in, &j.stats.bytes})
		closeIn()
		if err != nil && ctx.Err() == nil { // an interruption is reported once, by Run
			j.Errorf("%s: %v", inputName(name), err)
		}
	}
	return nil
}

func inputName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// openInput opens a named input; "-" is stdin. Either is read until its
// end or until ctx is cancelled, even a FIFO or a pipe that never ends.
func (j *Job) openInput(ctx context.Context, name string) (io.Reader, func(), error) {
	if name == "-" {
		if j.o.Stdin == nil {
			return nil, nil, fmt.Errorf("stdin: not available")
		}
		in, release := j.o.Stdin(ctx)
		return in, release, nil
	}
	f, err := scanner.OpenInput(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// scanDiff scans the added lines of one diff. A finding's line is the new
// file's line number; its column counts bytes of the line without the '+'.
func (j *Job) scanDiff(in io.Reader) error {
	return diff.Parse(in, func(b diff.Block) error {
		return j.sc.ScanBytes(b.Data, func(m scanner.Match) error {
			f := scanner.NewFinding(m, leakguard.SourceDiff, b.Path)
			f.Line = b.Line + m.Line - 1
			f.Commit, f.Author = b.Commit, b.Author
			return j.col.add(f)
		})
	})
}

// scanGit streams the findings of a git source (package scanner/gitsource):
// source "staged" or "git", commit and author filled where known. In a
// partial clone the objects it lacks are skipped and counted, never
// fetched (Result.Missing). Staged
// with file names scans the named files that have no staged change whole
// from the working tree (source "file"), so `pre-commit run
// --files/--all-files` scans what it names. Git failures are errors
// carrying git's message.
func (j *Job) scanGit(ctx context.Context) error {
	if j.o.Mode == ModeStaged {
		return gitsource.ScanStaged(ctx, gitsource.StagedOptions{
			Repo: ".", Files: j.o.Paths, Stderr: j.o.Stderr, BaseEnv: j.o.BaseEnv, Missing: &j.missing,
		}, j.sc, j.col.add)
	}
	repo, paths := ".", []string(nil)
	if len(j.o.Paths) > 0 {
		repo, paths = j.o.Paths[0], j.o.Paths[1:]
	}
	if repo == "" {
		repo = "."
	}
	ho := gitsource.HistoryOptions{
		Repo: repo, Range: j.o.Range, Paths: paths, Checkpoint: j.o.Checkpoint,
		Stderr: j.o.Stderr, Progress: j.o.GitProgress, BaseEnv: j.o.BaseEnv, Missing: &j.missing,
		OnProblem: func(path string, err error) { j.problem(ctx, path, err) },
	}
	if !j.o.NoArchives {
		ho.Archives = &archive.Limits{} // the defaults
	}
	return gitsource.ScanHistory(ctx, ho, j.sc, j.col.add)
}
