package main

import (
	"context"
	"io"

	"github.com/leakguard/leakguard/scanner"
)

// gitScanRequest is what `scan --staged` and `scan --git` ask of the git
// sources (cmd/leakguard/scan_git.go replaces this stub file).
type gitScanRequest struct {
	Repo       string   // repository path (default ".")
	Staged     bool     // --staged: the index's staged blobs, added lines only
	Range      string   // --git --range A..B; "" = all refs
	Checkpoint string   // --checkpoint FILE for incremental history scans
	Files      []string // limit to these repository paths (pre-commit passes names)
	Stderr     io.Writer
}

// scanGit streams findings of a git source to emit; source is "staged" or
// "git" and commit/author are filled where known.
func scanGit(ctx context.Context, req gitScanRequest, sc *scanner.Scanner, emit func(scanner.Finding) error) error {
	return errNotImplemented
}
