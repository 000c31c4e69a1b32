package orgscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
	"github.com/leakguard/leakguard/scanner/gitsource"
	"github.com/rs/zerolog"
)

// Repo is one repository to scan.
type Repo struct {
	FullName string `json:"full_name"` // owner/name
	CloneURL string `json:"clone_url"`
	HTMLURL  string `json:"html_url,omitempty"` // web page; "" = the host's default (Scanner.BlobURL)
}

// Result is the outcome of scanning one repository.
type Result struct {
	Repo       string            `json:"repo"`
	Findings   []scanner.Finding `json:"findings"`
	Checkpoint []byte            `json:"checkpoint"` // save once Findings are durable
	Unchanged  bool              `json:"unchanged"`  // no new commits since the checkpoint
	Empty      bool              `json:"empty"`      // the repository has no commits
	Objects    int64             `json:"objects"`    // blobs read by this scan
	Bytes      int64             `json:"bytes"`      // bytes of those blobs
	// Problems are what the scan left unread inside blobs ("path: why":
	// a damaged archive, a budget reached), at most maxProblems of them
	// and then how many more. The rest of the repository was scanned and
	// its checkpoint covers them: a later scan does not read them again.
	Problems []string `json:"problems,omitempty"`
}

// maxProblems bounds Result.Problems: a repository full of broken
// archives is told in a few lines.
const maxProblems = 20

// BlobURLFunc links to a line (0: the whole file) of a file at a commit of
// a repository: its web page (may be "") and owner/name; with no commit or
// path, to the repository. Package github has GitHub's (github.BlobURL).
type BlobURLFunc func(htmlURL, fullName, commit, path string, line int) string

// Scanner scans repositories through a mirror cache.
type Scanner struct {
	Mirrors *Mirrors
	Scanner *scanner.Scanner
	BlobURL BlobURLFunc // a finding's link; nil: the repository's HTMLURL
	Workers int         // history-scan workers per repository (0 = GOMAXPROCS)
	// Archives, if set, opens the archives blobs are, as scan --git does
	// (Open sets the defaults unless Options.NoArchives).
	Archives *archive.Limits
	Log      zerolog.Logger
}

// ScanRepo syncs the repository's mirror and scans the objects reachable
// from its refs and not from the tips recorded in prev (a checkpoint from
// an earlier Result, or nil for the whole history). The returned
// checkpoint covers this scan; the caller saves it after the findings are
// durable.
func (s *Scanner) ScanRepo(ctx context.Context, r Repo, prev []byte) (Result, error) {
	res := Result{Repo: r.FullName}
	dir, err := s.Mirrors.Sync(ctx, r.FullName, r.CloneURL)
	if err != nil {
		return res, err
	}
	tmp, err := os.MkdirTemp(s.Mirrors.Dir, ".checkpoint-*")
	if err != nil {
		return res, fmt.Errorf("orgscan: %w", err)
	}
	defer os.RemoveAll(tmp)
	cp := filepath.Join(tmp, "checkpoint.json")
	if prev != nil {
		if err := os.WriteFile(cp, prev, 0o600); err != nil {
			return res, fmt.Errorf("orgscan: %w", err)
		}
	}
	var msgs bytes.Buffer
	var stats gitsource.HistoryStats
	var mu sync.Mutex // OnProblem is called from the scan's workers
	more := 0
	err = gitsource.ScanHistory(ctx, gitsource.HistoryOptions{
		Repo: dir, Checkpoint: cp, Stderr: &msgs, Workers: s.Workers, Stats: &stats, BaseEnv: s.Mirrors.BaseEnv,
		Archives: s.Archives,
		OnProblem: func(path string, err error) {
			mu.Lock()
			defer mu.Unlock()
			if len(res.Problems) == maxProblems {
				more++
				return
			}
			res.Problems = append(res.Problems, s.Scanner.ProblemText(path, err))
		},
	}, s.Scanner, func(f scanner.Finding) error {
		res.Findings = append(res.Findings, s.toOrg(f, r))
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("orgscan: scan %s: %w", r.FullName, err)
	}
	if more > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("and %d more", more))
	}
	res.Objects, res.Bytes = stats.Blobs.Load(), stats.Bytes.Load()
	s.Log.Debug().Str("repo", r.FullName).Str("detail", strings.TrimSpace(msgs.String())).Msg("history scanned")
	if res.Checkpoint, err = os.ReadFile(cp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("orgscan: %w", err)
	}
	oldTips, newTips := tips(prev), tips(res.Checkpoint)
	res.Empty = len(newTips) == 0
	res.Unchanged = prev != nil && slices.Equal(oldTips, newTips)
	return res, nil
}

// tips returns a checkpoint's sorted ref tips.
func tips(cp []byte) []string {
	var f struct {
		Tips []string `json:"tips"`
	}
	if len(cp) == 0 || json.Unmarshal(cp, &f) != nil {
		return nil
	}
	slices.Sort(f.Tips)
	return slices.Compact(f.Tips)
}

// toOrg turns a history finding into an organisation scan's: source
// github-org, the repository, the link to its line.
func (s *Scanner) toOrg(f scanner.Finding, r Repo) scanner.Finding {
	f.Source = leakguard.SourceGitHubOrg
	f.Repository = r.FullName
	f.URL = r.HTMLURL
	if s.BlobURL != nil {
		f.URL = s.BlobURL(r.HTMLURL, r.FullName, f.Commit, f.Path, f.Line)
	}
	return f
}
