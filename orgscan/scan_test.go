package orgscan_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/scanner"
	"github.com/rs/zerolog"
)

// sinkLines describes what a sink got: "repo:line status/action", sorted.
func sinkLines(fs []scanner.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s:%d %s/%s", f.Repository, f.Line, f.Status, f.Action)
	}
	slices.Sort(out)
	return out
}

// TestScanLocal: each repository's findings are resolved in one call,
// handed to the sink, and only then is its checkpoint saved; any failure
// on the way fails the repository and keeps its old checkpoint.
func TestScanLocal(t *testing.T) {
	t.Parallel()
	active := func() map[string]leakguard.State { return map[string]leakguard.State{hashA: leakguard.StateActive} }
	tests := []struct {
		name     string
		repos    map[string]fakeRepo
		resolver *fakeResolver
		revoke   bool
		sinkErr  error
		loadErr  error

		wantSink     []string
		wantSaved    []string
		wantFailures map[string]string // repo → part of the reason
		wantCalls    int               // Resolve calls
		wantRevoked  int
	}{
		{
			name: "revoke once per hash",
			repos: map[string]fakeRepo{
				"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1), finding("acme/a", hashA, 2), finding("acme/a", hashB, 3)}},
				"acme/b": {},
			},
			resolver: &fakeResolver{states: active()}, revoke: true,
			wantSink:  []string{"acme/a:1 revoked/revoked", "acme/a:2 revoked/revoked", "acme/a:3 unknown/none"},
			wantSaved: []string{"acme/a", "acme/b"}, wantCalls: 1, wantRevoked: 1,
		},
		{
			name:     "look up only",
			repos:    map[string]fakeRepo{"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1)}}},
			resolver: &fakeResolver{states: active()},
			wantSink: []string{"acme/a:1 active/none"}, wantSaved: []string{"acme/a"}, wantCalls: 1,
		},
		{
			name: "resolver error fails the repository and keeps its checkpoint",
			repos: map[string]fakeRepo{
				"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1), finding("acme/a", hashC, 2)}},
				"acme/b": {findings: []scanner.Finding{finding("acme/b", hashB, 1)}},
			},
			resolver: &fakeResolver{states: active(), fail: map[string]bool{hashC: true}}, revoke: true,
			wantSink:  []string{"acme/b:1 unknown/none"},
			wantSaved: []string{"acme/b"}, wantFailures: map[string]string{"acme/a": "store unreachable"}, wantCalls: 2,
		},
		{
			name:         "scan error fails the repository",
			repos:        map[string]fakeRepo{"acme/a": {err: errors.New("clone failed: not found")}, "acme/b": {}},
			wantSaved:    []string{"acme/b"},
			wantFailures: map[string]string{"acme/a": "clone failed"},
		},
		{
			name:         "sink error fails the repository",
			repos:        map[string]fakeRepo{"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1)}}},
			sinkErr:      errors.New("write report: broken pipe"),
			wantFailures: map[string]string{"acme/a": "broken pipe"},
		},
		{
			name:      "no resolver leaves the status empty",
			repos:     map[string]fakeRepo{"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1)}}},
			wantSink:  []string{"acme/a:1 /"},
			wantSaved: []string{"acme/a"},
		},
		{
			name:         "checkpoint load error fails the repository",
			repos:        map[string]fakeRepo{"acme/a": {}},
			loadErr:      errors.New("checkpoint acme/a: permission denied"),
			wantFailures: map[string]string{"acme/a": "permission denied"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc, cps, sink := newFakeScanner(tt.repos), newMemCheckpoints(), &recSink{err: tt.sinkErr}
			cps.loadErr = tt.loadErr
			o := orgscan.Options{Sink: sink, Scanner: sc, Checkpoints: cps, Parallel: 2, Revoke: tt.revoke, Log: zerolog.Nop()}
			if tt.resolver != nil {
				o.Resolver = tt.resolver
			}
			s, err := orgscan.NewScan(o)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Run(context.Background(), repos(trimOwner(slices.Sorted(maps.Keys(tt.repos)))...)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := sinkLines(sink.findings()); !slices.Equal(got, tt.wantSink) {
				t.Errorf("sink got %q, want %q", got, tt.wantSink)
			}
			if got := slices.Sorted(maps.Keys(cps.snapshot())); !slices.Equal(got, tt.wantSaved) {
				t.Errorf("checkpoints saved for %q, want %q", got, tt.wantSaved)
			}
			st := s.Stats()
			checkFailures(t, st, tt.wantFailures)
			if got, want := st.Done, len(tt.repos)-len(tt.wantFailures); got != want {
				t.Errorf("Done = %d, want %d", got, want)
			}
			if got, want := st.Findings, len(tt.wantSink); got != want {
				t.Errorf("Findings = %d, want %d", got, want)
			}
			if got, want := st.Revoked, tt.wantRevoked; got != want {
				t.Errorf("Revoked = %d, want %d", got, want)
			}
			if tt.resolver != nil {
				checkCalls(t, tt.resolver.callsSoFar(), tt.wantCalls, tt.revoke, true)
			}
		})
	}
}

// checkFailures compares the failed repositories and their reasons.
func checkFailures(t *testing.T, st orgscan.Stats, want map[string]string) {
	t.Helper()
	if got, want := st.Failed, len(want); got != want {
		t.Errorf("Failed = %d, want %d (%+v)", got, want, st.Failures)
	}
	for _, f := range st.Failures {
		if part, ok := want[f.Repo]; !ok || !strings.Contains(f.Reason, part) {
			t.Errorf("failure %s: %q, want one with %q", f.Repo, f.Reason, part)
		}
	}
}

// checkCalls checks the Resolve calls: n of them, revoke as asked, every
// report with its rule and hash, and the token itself only when scanned
// here (withSecret).
func checkCalls(t *testing.T, calls []resolveCall, n int, revoke, withSecret bool) {
	t.Helper()
	if len(calls) != n {
		t.Fatalf("Resolve called %d times, want %d", len(calls), n)
	}
	for _, c := range calls {
		if c.revoke != revoke {
			t.Errorf("Resolve revoke = %v, want %v", c.revoke, revoke)
		}
		for _, r := range c.reps {
			if r.Rule != "leakguard-user" || len(r.Hash) != 64 || r.Source != leakguard.SourceGitHubOrg || r.URL == "" {
				t.Errorf("report %+v lacks its rule, hash, source or URL", r)
			}
			if got := !r.Secret.IsZero(); got != withSecret {
				t.Errorf("report carries the token: %v, want %v", got, withSecret)
			}
		}
	}
}

// TestDeferredSinkSavesAfterFlush: with a sink that writes its report at
// the end, no checkpoint is saved before that write.
func TestDeferredSinkSavesAfterFlush(t *testing.T) {
	t.Parallel()
	sc := newFakeScanner(map[string]fakeRepo{"acme/a": {findings: []scanner.Finding{finding("acme/a", hashA, 1)}}})
	cps, sink := newMemCheckpoints(), &recSink{deferred: true}
	s, err := orgscan.NewScan(orgscan.Options{Sink: sink, Scanner: sc, Checkpoints: cps})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Run(ctx, repos("a")); err != nil {
		t.Fatal(err)
	}
	if got := cps.snapshot(); len(got) != 0 {
		t.Errorf("checkpoints saved before the report was written: %v", got)
	}
	cancel() // an interrupted run still saves what its report holds
	if err := sink.flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := cps.snapshot()["acme/a"], "cp:acme/a"; got != want {
		t.Errorf("checkpoint after flush = %q, want %q", got, want)
	}
}

// TestNextRunStartsFromCheckpoint: a second run scans from the saved
// checkpoint and counts the repository unchanged.
func TestNextRunStartsFromCheckpoint(t *testing.T) {
	t.Parallel()
	sc, cps := newFakeScanner(map[string]fakeRepo{"acme/a": {}}), newMemCheckpoints()
	var last orgscan.Stats
	for range 2 {
		s, err := orgscan.NewScan(orgscan.Options{Sink: &recSink{}, Scanner: sc, Checkpoints: cps})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), repos("a")); err != nil {
			t.Fatal(err)
		}
		last = s.Stats()
	}
	if got, want := sc.prevsOf("acme/a"), []string{"", "cp:acme/a"}; !slices.Equal(got, want) {
		t.Errorf("scanned from %q, want %q", got, want)
	}
	if last.Unchanged != 1 || last.Done != 1 || last.Objects != 10 || last.Bytes != 1000 {
		t.Errorf("second run stats = %+v, want 1 done, unchanged, 10 objects, 1000 bytes", last)
	}
}

// TestParallel: at most Options.Parallel repositories are scanned at once.
func TestParallel(t *testing.T) {
	t.Parallel()
	table := map[string]fakeRepo{}
	var names []string
	for i := range 9 {
		names = append(names, fmt.Sprint("r", i))
		table["acme/"+names[i]] = fakeRepo{}
	}
	sc := newFakeScanner(table)
	sc.delay = 20 * time.Millisecond
	s, err := orgscan.NewScan(orgscan.Options{Sink: &recSink{}, Scanner: sc, Checkpoints: newMemCheckpoints(), Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), repos(names...)); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Done; got != 9 {
		t.Errorf("Done = %d, want 9", got)
	}
	if sc.maxSeen > 3 {
		t.Errorf("%d scans ran at once, want at most 3", sc.maxSeen)
	}
}

// TestCancelStopsTheRun: a cancelled run stops feeding repositories and
// returns the context's error.
func TestCancelStopsTheRun(t *testing.T) {
	t.Parallel()
	sc := newFakeScanner(map[string]fakeRepo{})
	sc.delay = time.Minute
	s, err := orgscan.NewScan(orgscan.Options{Sink: &recSink{}, Scanner: sc, Checkpoints: newMemCheckpoints()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx, repos("a", "b", "c")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the context's error", err)
	}
	if st := s.Stats(); st.Done != 0 || st.Failed > 1 {
		t.Errorf("stats after cancel = %+v, want nothing done and at most the one started failed", st)
	}
}

// TestProgress: Progress sees the total first, then every repository, and
// its last call matches Stats.
func TestProgress(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []orgscan.Stats
	sc := newFakeScanner(map[string]fakeRepo{"acme/b": {err: errors.New("gone")}})
	s, err := orgscan.NewScan(orgscan.Options{
		Sink: &recSink{}, Scanner: sc, Checkpoints: newMemCheckpoints(),
		Progress: func(st orgscan.Stats) { mu.Lock(); seen = append(seen, st); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), repos("a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 4 || seen[0].Total != 3 || seen[0].Done+seen[0].Failed != 0 {
		t.Fatalf("progress calls = %+v, want the total first, then one per repository", seen)
	}
	last, final := seen[len(seen)-1], s.Stats()
	if last.Done != 2 || last.Failed != 1 || final.Done != last.Done || final.Failed != last.Failed || len(final.Failures) != 1 {
		t.Errorf("last progress %+v, Stats %+v; want 2 done and 1 failed in both", last, final)
	}
}

// TestNewScanChecksOptions: a scan needs a sink, a scanner and checkpoints
// (or a queue), and revoking needs a resolver.
func TestNewScanChecksOptions(t *testing.T) {
	t.Parallel()
	sc, cps := newFakeScanner(nil), newMemCheckpoints()
	tests := []struct {
		name string
		o    orgscan.Options
		want string // part of the error; "" for none
	}{
		{"local", orgscan.Options{Sink: &recSink{}, Scanner: sc, Checkpoints: cps}, ""},
		{"no sink", orgscan.Options{Scanner: sc, Checkpoints: cps}, "Sink"},
		{"no scanner", orgscan.Options{Sink: &recSink{}, Checkpoints: cps}, "Scanner"},
		{"no checkpoints", orgscan.Options{Sink: &recSink{}, Scanner: sc}, "Checkpoints"},
		{"revoke without resolver", orgscan.Options{Sink: &recSink{}, Scanner: sc, Checkpoints: cps, Revoke: true}, "Resolver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := orgscan.NewScan(tt.o)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("NewScan: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("NewScan = %v, want an error about %s", err, tt.want)
			}
		})
	}
}
