package orgscan

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// TestResultWire: a worker's result carries the findings in their report
// form (rule and hash, never the token), the counts and the checkpoint.
func TestResultWire(t *testing.T) {
	t.Parallel()
	const plaintext = "lgu_thisIsThePlaintextOfATestToken0000"
	in := RepoResult{
		Repo: "acme/api", Unchanged: true, Objects: 3, Bytes: 300, Checkpoint: []byte(`{"tips":["c0ffee"]}`),
		Problems: []string{"b.zip: zip: not a valid zip file"},
		Findings: []scanner.Finding{{
			Rule: "leakguard-user", TokenHash: strings.Repeat("d", 64), Path: "a.env", Line: 2,
			Source: leakguard.SourceGitHubOrg, Repository: "acme/api", Secret: patterns.NewSecret(plaintext), Issued: true,
		}},
	}
	payload, err := encodeResult(in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(payload, []byte(plaintext)) {
		t.Fatal("the result payload holds the plaintext token")
	}
	out, err := decodeResult("acme/api", payload)
	if err != nil {
		t.Fatal(err)
	}
	f := out.Findings[0]
	if got, want := f.Rule+" "+f.TokenHash, in.Findings[0].Rule+" "+in.Findings[0].TokenHash; got != want {
		t.Errorf("finding = %q, want %q", got, want)
	}
	if !f.Secret.IsZero() || f.Issued {
		t.Error("a decoded finding carries more than its report form")
	}
	if !out.Unchanged || out.Objects != 3 || out.Bytes != 300 || !slices.Equal(out.Checkpoint, in.Checkpoint) || !slices.Equal(out.Problems, in.Problems) {
		t.Errorf("decoded %+v, want the counts and checkpoint of %+v", out, in)
	}
}

// TestResultWireFromAnOlderWorker: a result without a checkpoint (a
// worker that saved it itself) decodes with none to save.
func TestResultWireFromAnOlderWorker(t *testing.T) {
	t.Parallel()
	out, err := decodeResult("acme/api", []byte(`{"repo":"acme/api","findings":[],"empty":true}`))
	if err != nil || out.Checkpoint != nil || !out.Empty || out.Repo != "acme/api" {
		t.Errorf("decoded %+v, %v", out, err)
	}
}

// TestJobWire: job IDs and payloads round-trip.
func TestJobWire(t *testing.T) {
	t.Parallel()
	r := Repo{FullName: "acme/api", CloneURL: "https://github.com/acme/api.git", HTMLURL: "https://github.com/acme/api"}
	p, err := encodeJob(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeJob(p); err != nil || got != r {
		t.Errorf("decodeJob = %+v, %v; want %+v", got, err, r)
	}
	if got := repoOfJob("run1", jobID("run1", r.FullName)); got != r.FullName {
		t.Errorf("repoOfJob = %q", got)
	}
}
