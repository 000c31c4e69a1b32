package scanjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/ignore"
)

// newToken returns a fresh valid token of the default catalog's format id.
func newToken(t *testing.T, id string) string {
	t.Helper()
	f, ok := patterns.Default().ByID(id)
	if !ok {
		t.Fatalf("no format %s", id)
	}
	s, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Reveal()
}

// writeFiles creates files (name → content) under a new temp dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// warnings collects what a job reports.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) warn(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

// stdinOf serves s as standard input.
func stdinOf(s string) func(context.Context) (io.Reader, func()) {
	return func(context.Context) (io.Reader, func()) { return strings.NewReader(s), func() {} }
}

// brief renders findings as "path:line:column rule source".
func brief(fs []scanner.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s:%d:%d %s %s\n", f.Path, f.Line, f.Column, f.Rule, f.Source)
	}
	return b.String()
}

// run prepares and runs a job with o, its warnings collected.
func run(t *testing.T, ctx context.Context, o Options, res revoker.Resolver) (*Result, string) {
	t.Helper()
	w := &warnings{}
	o.Warn = w.warn
	j, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return j.Run(ctx, res), w.String()
}

func TestRoots(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"sub/a.txt": "x"})
	tests := []struct {
		name  string
		mode  Mode
		paths []string
		want  []string
	}{
		{"stdin", ModePaths, nil, []string{"."}},
		{"directories only", ModePaths, []string{dir, dir + "/sub/a.txt", dir + "/missing", dir + "/sub"}, []string{dir, dir + "/sub"}},
		{"files only", ModePaths, []string{dir + "/sub/a.txt", "-"}, nil},
		{"diff", ModeDiff, []string{dir}, []string{"."}},
		{"staged", ModeStaged, []string{"a.txt"}, []string{"."}},
		{"git default", ModeGit, nil, []string{"."}},
		{"git repository", ModeGit, []string{dir, "sub"}, []string{dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Roots(tt.mode, tt.paths); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Roots = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunInputs(t *testing.T) {
	t.Parallel()
	tok, ghp, svc := newToken(t, "leakguard-user"), newToken(t, "github-pat"), newToken(t, "leakguard-service")
	dir := writeFiles(t, map[string]string{
		"a.txt":           "x = " + tok + "\n",
		"sub/allowed.txt": "t = " + ghp + " # leakguard:allow\n",
		"sub/ignored.txt": svc + "\n",
		ignore.FileName:   patterns.HashToken(svc) + "\n" + strings.Repeat("ab", 32) + "\n",
	})
	diffs := writeFiles(t, map[string]string{
		"one.patch":      "--- a/f.env\n+++ b/f.env\n@@ -1,2 +1,3 @@\n a\n+K=" + ghp + "\n b\n",
		"truncated.diff": "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n",
	})
	tests := []struct {
		name  string
		o     Options
		want  string // brief of the findings
		warn  string // substring of the warnings; "" = none
		fail  bool
		extra func(t *testing.T, r *Result)
	}{
		{name: "tree with ignore list and inline allow", o: Options{Paths: []string{dir}},
			want: dir + "/a.txt:1:5 leakguard-user file\n",
			extra: func(t *testing.T, r *Result) {
				if r.Suppressed != 1 || r.Allowed != 1 {
					t.Errorf("suppressed %d, allowed %d; want 1 and 1", r.Suppressed, r.Allowed)
				}
				if len(r.Unmatched) != 1 || !strings.HasSuffix(r.Unmatched[0], ":2: "+strings.Repeat("ab", 32)) {
					t.Errorf("unmatched %q", r.Unmatched)
				}
				if r.Inputs != 4 || r.Bytes == 0 { // the ignore list is an input too
					t.Errorf("inputs %d, bytes %d", r.Inputs, r.Bytes)
				}
			}},
		{name: "stdin", o: Options{Stdin: stdinOf("one\n  " + tok)},
			want: ":2:3 leakguard-user stdin\n"},
		{name: "stdin and a file", o: Options{Paths: []string{"-", dir + "/a.txt"}, Stdin: stdinOf(ghp)},
			want: ":1:1 github-pat stdin\n" + dir + "/a.txt:1:5 leakguard-user file\n"},
		{name: "no stdin", o: Options{Paths: []string{"-"}}, warn: "stdin: not available", fail: true},
		{name: "missing path, the rest scanned", o: Options{Paths: []string{dir + "/missing", dir + "/a.txt"}},
			want: dir + "/a.txt:1:5 leakguard-user file\n", warn: "missing: no such file", fail: true},
		{name: "diff file", o: Options{Mode: ModeDiff, Paths: []string{diffs + "/one.patch"}},
			want: "f.env:2:3 github-pat diff\n"},
		{name: "diff on stdin", o: Options{Mode: ModeDiff, Stdin: stdinOf("--- a/g\n+++ b/g\n@@ -0,0 +1 @@\n+" + tok + "\n")},
			want: "g:1:1 leakguard-user diff\n"},
		{name: "bad diff named stdin", o: Options{Mode: ModeDiff, Paths: []string{"-"}, Stdin: stdinOf("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n?\n")},
			warn: "stdin: ", fail: true},
		{name: "truncated diff, next one scanned", o: Options{Mode: ModeDiff, Paths: []string{diffs + "/truncated.diff", diffs + "/one.patch"}},
			want: "f.env:2:3 github-pat diff\n", warn: "truncated.diff: ", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, warn := run(t, context.Background(), tt.o, nil)
			if got := brief(r.Findings); got != tt.want {
				t.Errorf("findings:\n%s\nwant:\n%s", got, tt.want)
			}
			if got, want := r.Failed, tt.fail; got != want {
				t.Errorf("Failed = %v, want %v (warnings %q)", got, want, warn)
			}
			if (tt.warn == "") != (warn == "") || !strings.Contains(warn, tt.warn) {
				t.Errorf("warnings %q, want %q", warn, tt.warn)
			}
			for _, p := range []string{tok, ghp, svc} {
				if strings.Contains(warn, p) || strings.Contains(fmt.Sprint(r.Unmatched), p) {
					t.Error("a warning holds a plaintext token")
				}
			}
			if tt.extra != nil {
				tt.extra(t, r)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"a.txt": newToken(t, "github-pat")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, warn := run(t, ctx, Options{Paths: []string{dir}}, nil)
	if !r.Interrupted || r.Status() != Failed || !strings.Contains(warn, "interrupted") {
		t.Errorf("interrupted %v, status %v, warnings %q", r.Interrupted, r.Status(), warn)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{ignore.FileName: "nonsense\n"})
	tests := []struct {
		name string
		o    Options
		err  string
	}{
		{"missing config", Options{Config: dir + "/missing.toml", Paths: []string{"-"}}, "missing.toml"},
		{"bad ignore list", Options{Paths: []string{dir}}, ignore.FileName + ":1: not a token hash"},
		{"missing baseline", Options{Baseline: dir + "/none.json", Paths: []string{"-"}}, "baseline: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.o); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("New: %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestResultStatus(t *testing.T) {
	t.Parallel()
	found := []scanner.Finding{{Rule: "github-pat"}}
	tests := []struct {
		name string
		r    Result
		want Status
	}{
		{"nothing", Result{}, Clean},
		{"findings", Result{Findings: found}, Found},
		{"failed, nothing found", Result{Failed: true}, Failed},
		{"failure wins over findings", Result{Findings: found, Failed: true}, Failed},
		{"interrupted", Result{Findings: found, Interrupted: true}, Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.Status(); got != tt.want {
				t.Errorf("Status() = %v, want %v", got, tt.want)
			}
		})
	}
}

// fakeResolver answers from a table of outcomes by hash and records what
// it was asked.
type fakeResolver struct {
	outs map[leakguard.Hash]revoker.Outcome
	err  error

	mu     sync.Mutex
	reps   []revoker.Report
	revoke bool
}

func (f *fakeResolver) Resolve(_ context.Context, reps []revoker.Report, revoke bool) ([]revoker.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reps, f.revoke = reps, revoke
	var outs []revoker.Outcome
	seen := map[string]bool{}
	for i, r := range reps {
		if seen[r.Hash] {
			continue
		}
		seen[r.Hash] = true
		o, ok := f.outs[leakguard.Hash(r.Hash)]
		if !ok {
			o = revoker.Outcome{State: leakguard.StateUnknown, Action: leakguard.ActionNone}
		}
		o.Hash, o.First = leakguard.Hash(r.Hash), i
		outs = append(outs, o)
	}
	return outs, f.err
}

func TestSettle(t *testing.T) {
	t.Parallel()
	active, revoked, stranger := newToken(t, "leakguard-user"), newToken(t, "leakguard-service"), newToken(t, "github-pat")
	dir := writeFiles(t, map[string]string{
		"a.txt": active + "\n" + revoked + "\n" + stranger + "\n" + active + "\n",
	})
	h := func(tok string) leakguard.Hash { return leakguard.Hash(patterns.HashToken(tok)) }
	status := map[leakguard.Hash]revoker.Outcome{
		h(active):  {Ours: true, State: leakguard.StateActive, Action: leakguard.ActionNone},
		h(revoked): {Ours: true, State: leakguard.StateRevoked, Action: leakguard.ActionNone},
	}
	revoking := map[leakguard.Hash]revoker.Outcome{
		h(active):  {Ours: true, State: leakguard.StateRevoked, Action: leakguard.ActionRevoked},
		h(revoked): {Ours: true, State: leakguard.StateRevoked, Action: leakguard.ActionNone},
	}
	tests := []struct {
		name     string
		o        Options
		res      *fakeResolver
		want     string // "line status/action" per finding
		revoked  int
		warn     string
		notAsked bool
	}{
		{name: "no store named", o: Options{}, res: &fakeResolver{outs: status},
			want: "1 /\n2 /\n3 /\n4 /\n", notAsked: true},
		{name: "status", o: Options{Resolve: true}, res: &fakeResolver{outs: status},
			want: "1 active/\n2 revoked/\n3 unknown/\n4 active/\n"},
		{name: "revoke", o: Options{Resolve: true, Revoke: true, Actor: "ci"}, res: &fakeResolver{outs: revoking},
			want: "1 revoked/revoked\n2 revoked/none\n3 unknown/none\n4 revoked/revoked\n", revoked: 1},
		{name: "store not opened", o: Options{Resolve: true, Revoke: true}, res: nil,
			want: "1 unknown/none\n2 unknown/none\n3 unknown/none\n4 unknown/none\n"},
		{name: "look-up fails", o: Options{Resolve: true}, res: &fakeResolver{err: errors.New("down")},
			want: "1 unknown/\n2 unknown/\n3 unknown/\n4 unknown/\n", warn: "token store: status look-up: down"},
		{name: "revocation fails", o: Options{Resolve: true, Revoke: true}, res: &fakeResolver{err: errors.New("down")},
			want: "1 unknown/none\n2 unknown/none\n3 unknown/none\n4 unknown/none\n", warn: "token store: revoke: down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.o.Paths = []string{dir + "/a.txt"}
			var res revoker.Resolver
			if tt.res != nil {
				res = tt.res
			}
			r, warn := run(t, context.Background(), tt.o, res)
			var b strings.Builder
			for _, f := range r.Findings {
				fmt.Fprintf(&b, "%d %s/%s\n", f.Line, f.Status, f.Action)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("outcomes:\n%s\nwant:\n%s", got, tt.want)
			}
			if r.Revoked != tt.revoked {
				t.Errorf("Revoked = %d, want %d", r.Revoked, tt.revoked)
			}
			if (tt.warn == "") != (warn == "") || !strings.Contains(warn, tt.warn) || r.Failed != (tt.warn != "") {
				t.Errorf("warnings %q, failed %v; want %q", warn, r.Failed, tt.warn)
			}
			if tt.res == nil {
				return
			}
			if tt.notAsked != (tt.res.reps == nil) {
				t.Fatalf("resolver asked: %v, want %v", tt.res.reps != nil, !tt.notAsked)
			}
			if !tt.notAsked && (len(tt.res.reps) != 4 || tt.res.revoke != tt.o.Revoke || tt.res.reps[0].Actor != tt.o.Actor) {
				t.Errorf("asked %d reports, revoke %v, actor %q", len(tt.res.reps), tt.res.revoke, tt.res.reps[0].Actor)
			}
		})
	}
}

func TestReports(t *testing.T) {
	t.Parallel()
	fs := []scanner.Finding{
		{Rule: "github-pat", TokenHash: strings.Repeat("a", 64), Source: leakguard.SourceDiff, Path: "f.env", Line: 2, Commit: "c0ffee"},
		{Rule: "leakguard-user", TokenHash: strings.Repeat("b", 64), Source: leakguard.SourceStdin, Line: 1},
	}
	got := Reports(fs, "alice")
	want := []revoker.Report{
		{Hash: strings.Repeat("a", 64), Rule: "github-pat", Source: leakguard.SourceDiff, Path: "f.env", Line: 2, Commit: "c0ffee", Actor: "alice"},
		{Hash: strings.Repeat("b", 64), Rule: "leakguard-user", Source: leakguard.SourceStdin, Line: 1, Actor: "alice"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Reports:\n%+v\nwant:\n%+v", got, want)
	}
}
