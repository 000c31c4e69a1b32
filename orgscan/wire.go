package orgscan

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/leakguard/leakguard/scanner"
)

// The job and result wire format (see the package documentation).

// newRunID returns a random run ID: 16 hex digits.
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// jobID is the ID of the job of repo in run.
func jobID(run, repo string) string { return run + ":" + repo }

// repoOfJob is the repository of a job ID of run.
func repoOfJob(run, id string) string { return strings.TrimPrefix(id, run+":") }

// checkpointKey is the queue state key of a repository's checkpoint.
func checkpointKey(repo string) string { return "checkpoint:" + repo }

// encodeJob is a job's payload: the repository.
func encodeJob(r Repo) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("orgscan: encode job %s: %w", r.FullName, err)
	}
	return b, nil
}

// decodeJob reads a job's payload.
func decodeJob(p []byte) (Repo, error) {
	var r Repo
	if err := json.Unmarshal(p, &r); err != nil {
		return Repo{}, fmt.Errorf("bad job payload: %v", err)
	}
	if r.FullName == "" || r.CloneURL == "" {
		return Repo{}, errors.New("bad job payload: no full_name or clone_url")
	}
	return r, nil
}

// result is a done job's payload: what a worker found in one repository
// and the checkpoint that covers it, for the coordinator to save once the
// findings are durable. Findings are in their report form (no token).
type result struct {
	Repo       string            `json:"repo"`
	Findings   []scanner.Finding `json:"findings"`
	Unchanged  bool              `json:"unchanged,omitempty"`
	Empty      bool              `json:"empty,omitempty"`
	Objects    int64             `json:"objects,omitempty"`
	Bytes      int64             `json:"bytes,omitempty"`
	Checkpoint []byte            `json:"checkpoint,omitempty"`
	Problems   []string          `json:"problems,omitempty"` // parts left unread (tokens redacted)
}

// encodeResult is the payload of a repository's result.
func encodeResult(res RepoResult) ([]byte, error) {
	b, err := json.Marshal(result{
		Repo: res.Repo, Findings: res.Findings, Unchanged: res.Unchanged, Empty: res.Empty,
		Objects: res.Objects, Bytes: res.Bytes, Checkpoint: res.Checkpoint, Problems: res.Problems,
	})
	if err != nil {
		return nil, fmt.Errorf("orgscan: encode result %s: %w", res.Repo, err)
	}
	return b, nil
}

// decodeResult reads the payload of repo's result. A worker of an earlier
// version sends no checkpoint (it saved it itself).
func decodeResult(repo string, p []byte) (RepoResult, error) {
	var r result
	if err := json.Unmarshal(p, &r); err != nil {
		return RepoResult{}, fmt.Errorf("bad result from a worker: %v", err)
	}
	return RepoResult{
		Repo: repo, Findings: r.Findings, Unchanged: r.Unchanged, Empty: r.Empty,
		Objects: r.Objects, Bytes: r.Bytes, Checkpoint: r.Checkpoint, Problems: r.Problems,
	}, nil
}
