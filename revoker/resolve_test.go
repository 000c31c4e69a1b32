package revoker_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	ghp, _ := patterns.Default().ByID("github-pat")
	vendor := patterns.NewSecret(ghp.WithChecksum("ghp_", strings.Repeat("a", 30)))
	userFmt, _ := patterns.Default().Issued(patterns.TypeUser)
	neverIssued, _ := userFmt.Generate(nil)

	tests := []struct {
		name   string
		revoke bool
		// reports built from the active token a, a second active token b
		reps       func(a, b patterns.Secret) []revoker.Report
		wantStates []leakguard.State
		wantAction []leakguard.Action
		wantOutbox int
		wantCalls  int
	}{
		{
			name: "look-up only dedupes and writes nothing",
			reps: func(a, b patterns.Secret) []revoker.Report {
				return []revoker.Report{{Secret: a, Source: "file"}, {Secret: a, Source: "file"}, {Secret: b, Source: "git"}}
			},
			wantStates: []leakguard.State{leakguard.StateActive, leakguard.StateActive},
			wantAction: []leakguard.Action{leakguard.ActionNone, leakguard.ActionNone},
			wantCalls:  2,
		},
		{
			name:   "revoke once per hash, reason of the first report",
			revoke: true,
			reps: func(a, b patterns.Secret) []revoker.Report {
				return []revoker.Report{{Secret: a, Source: "file", Path: "first.txt", Line: 1}, {Secret: a, Source: "file", Path: "second.txt"}, {Hash: b.Hash(), Source: "git"}}
			},
			wantStates: []leakguard.State{leakguard.StateRevoked, leakguard.StateRevoked},
			wantAction: []leakguard.Action{leakguard.ActionRevoked, leakguard.ActionRevoked},
			wantOutbox: 2,
			wantCalls:  4,
		},
		{
			name:   "not ours makes no store call",
			revoke: true,
			reps: func(a, b patterns.Secret) []revoker.Report {
				return []revoker.Report{{Secret: vendor, Source: "file"}, {Hash: vendor.Hash(), Rule: "github-pat", Source: "git"}}
			},
			wantStates: []leakguard.State{leakguard.StateUnknown},
			wantAction: []leakguard.Action{leakguard.ActionNone},
		},
		{
			name: "our format, never issued: unknown",
			reps: func(a, b patterns.Secret) []revoker.Report {
				return []revoker.Report{{Secret: neverIssued, Source: "file"}}
			},
			wantStates: []leakguard.State{leakguard.StateUnknown},
			wantAction: []leakguard.Action{leakguard.ActionNone},
			wantCalls:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := newTestStore(t)
			a, b := issue(t, m, patterns.TypeUser), issue(t, m, patterns.TypeService)
			r := revoker.New(m, patterns.Default(), revoker.Options{})
			outs, err := r.Resolve(context.Background(), tc.reps(a, b), tc.revoke)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(outs), len(tc.wantStates); got != want {
				t.Fatalf("outcomes = %d, want %d", got, want)
			}
			for i, o := range outs {
				if o.State != tc.wantStates[i] || o.Action != tc.wantAction[i] {
					t.Errorf("outcome %d = %s/%s, want %s/%s", i, o.State, o.Action, tc.wantStates[i], tc.wantAction[i])
				}
			}
			if got, want := len(m.outbox()), tc.wantOutbox; got != want {
				t.Errorf("outbox = %d, want %d", got, want)
			}
			if got, want := m.calls.Load(), int64(tc.wantCalls); got != want {
				t.Errorf("store calls = %d, want %d", got, want)
			}
			if tc.revoke && tc.wantOutbox > 0 {
				if evs, want := m.invalidations(), "leaked: file first.txt:1"; !hasDetail(evs, want) {
					t.Errorf("no event with reason %q: %+v", want, evs)
				}
			}
		})
	}
}

func TestResolveStopsAfterMaxErrors(t *testing.T) {
	t.Parallel()
	m := newTestStore(t)
	var reps []revoker.Report
	for range 10 {
		reps = append(reps, revoker.Report{Secret: issue(t, m, patterns.TypeUser), Source: "file"})
	}
	m.fail = store.ErrUnavailable
	r := revoker.New(m, patterns.Default(), revoker.Options{Workers: 1})
	outs, err := r.Resolve(context.Background(), reps, true)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if got, want := m.calls.Load(), int64(revoker.MaxErrors); got != want {
		t.Errorf("store calls = %d, want %d (stop after MaxErrors)", got, want)
	}
	notTried := 0
	for _, o := range outs {
		if o.Err == nil || o.State != leakguard.StateUnknown {
			t.Errorf("outcome %s: err %v state %s, want an error and unknown", o.Hash.Short(), o.Err, o.State)
		}
		if errors.Is(o.Err, revoker.ErrNotAttempted) {
			notTried++
		}
	}
	if got, want := notTried, 10-revoker.MaxErrors; got != want {
		t.Errorf("not attempted = %d, want %d", got, want)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n > revoker.MaxErrors+1 {
		t.Errorf("error has %d lines; want at most %d", n, revoker.MaxErrors+1)
	}
}

// TestReasonRedactsEveryToken: the stored reason holds neither the
// reported token nor another token quoted in the location, even one split
// by a control character that the cleaning removes.
func TestReasonRedactsEveryToken(t *testing.T) {
	t.Parallel()
	m := newTestStore(t)
	leaked := issue(t, m, patterns.TypeUser)
	other := issue(t, m, patterns.TypeService).Reveal()
	split := other[:10] + "\x00" + other[10:]
	r := revoker.New(m, patterns.Default(), revoker.Options{})
	_, err := r.Resolve(context.Background(), []revoker.Report{{Secret: leaked, Source: "file",
		Path: "dir/" + split + "/" + leaked.Reveal() + ".env", Line: 1}}, true)
	if err != nil {
		t.Fatal(err)
	}
	evs := m.invalidations()
	if len(evs) != 1 {
		t.Fatalf("revocation events = %d, want 1", len(evs))
	}
	reason := evs[0].Detail
	if strings.Contains(reason, other) || strings.Contains(reason, leaked.Reveal()) || strings.ContainsRune(reason, 0) {
		t.Fatalf("reason %q holds a token or a NUL", reason)
	}
}

// hasDetail reports whether one of evs has that detail.
func hasDetail(evs []store.Event, detail string) bool {
	for _, e := range evs {
		if e.Detail == detail {
			return true
		}
	}
	return false
}
