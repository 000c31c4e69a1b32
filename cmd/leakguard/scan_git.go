package main

import (
	"context"
	"io"

	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/gitsource"
)

// gitScanRequest is what `scan --staged` and `scan --git` ask of the git
// sources (package scanner/gitsource).
type gitScanRequest struct {
	Repo       string   // repository path (default ".")
	Staged     bool     // --staged: the index's staged blobs, added lines only
	Range      string   // --git --range: "A..B", or revisions and --not/--all/--branches/--tags/--remotes; "" = all refs
	Checkpoint string   // --checkpoint FILE for incremental history scans
	Files      []string // --staged: limit to these paths (pre-commit passes names); --git: repository pathspecs
	Stderr     io.Writer
}

// scanGit streams findings of a git source to emit; source is "staged" or
// "git" and commit/author are filled where known. --staged with file names
// scans the named files that have no staged change whole from the working
// tree (source "file"), so `pre-commit run --files/--all-files` scans what
// it names. Git failures are errors (exit 2) carrying git's message.
func scanGit(ctx context.Context, req gitScanRequest, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	repo := req.Repo
	if repo == "" {
		repo = "."
	}
	if req.Staged {
		return gitsource.ScanStaged(ctx, gitsource.StagedOptions{
			Repo: repo, Files: req.Files, Stderr: req.Stderr,
		}, sc, emit)
	}
	o := gitsource.HistoryOptions{
		Repo: repo, Range: req.Range, Paths: req.Files, Checkpoint: req.Checkpoint, Stderr: req.Stderr,
	}
	if req.Stderr != nil && isTerminal(req.Stderr) {
		o.Progress = req.Stderr // progress only on a terminal, never in CI or pipes
	}
	return gitsource.ScanHistory(ctx, o, sc, emit)
}
