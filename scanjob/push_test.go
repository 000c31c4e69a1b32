package scanjob

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner/gitsource"
)

// fakeRecorder is a fakeResolver that also records bypasses
// (revoker.BypassRecorder), answering recorded unless err is set.
type fakeRecorder struct {
	fakeResolver
	recorded bool
	err      error

	mu  sync.Mutex
	got []revoker.Bypass
}

func (f *fakeRecorder) RecordBypass(_ context.Context, b revoker.Bypass) (revoker.BypassOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, b)
	out := revoker.BypassOutcome{Hash: leakguard.Hash(b.Hash), State: leakguard.StateUnknown}
	if f.err != nil {
		return out, f.err
	}
	out.State, out.Recorded = leakguard.StateActive, f.recorded
	return out, nil
}

// TestRecordBypass: a pre-receive scan with a bypass resolves without
// revoking (whatever --revoke says) and records the bypass by hash on
// each token of ours through a resolver that records bypasses (a --db
// store or a --server alike); a failure to record fails the scan, so the
// hook fails closed.
func TestRecordBypass(t *testing.T) {
	t.Parallel()
	active, revoked, stranger := newToken(t, "leakguard-user"), newToken(t, "leakguard-service"), newToken(t, "github-pat")
	dir := writeFiles(t, map[string]string{"a.env": active + "\n" + revoked + "\n" + stranger + "\n" + active + "\n"})
	h := func(tok string) leakguard.Hash { return leakguard.Hash(patterns.HashToken(tok)) }
	ours := map[leakguard.Hash]revoker.Outcome{
		h(active):  {Ours: true, State: leakguard.StateActive, Action: leakguard.ActionNone},
		h(revoked): {Ours: true, State: leakguard.StateRevoked, Action: leakguard.ActionNone},
	}
	bypass := func(tok string) revoker.Bypass {
		return revoker.Bypass{Hash: string(h(tok)), Source: leakguard.SourceGit, Repository: "/srv/git/app.git",
			Ref: "refs/heads/main", Pusher: "alice", Reason: "test fixture", Actor: "pre-receive:alice"}
	}
	tests := []struct {
		name   string
		res    revoker.Resolver
		want   []revoker.Bypass // asked of the recorder
		warn   string
		failed bool
	}{
		{"recorded", &fakeRecorder{fakeResolver: fakeResolver{outs: ours}, recorded: true},
			[]revoker.Bypass{bypass(active), bypass(revoked)}, "bypass by alice recorded on 2 tokens of ours", false},
		{"unknown to the recorder", &fakeRecorder{fakeResolver: fakeResolver{outs: ours}},
			[]revoker.Bypass{bypass(active), bypass(revoked)}, "bypass by alice recorded on 0 tokens of ours", false},
		{"nothing of ours", &fakeRecorder{fakeResolver: fakeResolver{}, recorded: true},
			nil, "bypass by alice recorded on 0 tokens of ours", false},
		{"recording fails", &fakeRecorder{fakeResolver: fakeResolver{outs: ours}, err: errors.New("server: 404 not_found")},
			[]revoker.Bypass{bypass(active), bypass(revoked)}, "token store: record the bypass on " + h(active).Short() + ": server: 404 not_found", true},
		{"a resolver that records nothing", &fakeResolver{outs: ours}, nil, "bypass by alice not recorded", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			push := &Push{Kind: gitsource.HookPreReceive, Repo: "/srv/git/app.git", Pusher: "alice", Bypass: "test fixture"}
			o := Options{Paths: []string{dir + "/a.env"}, Resolve: true, Revoke: true}
			push.Tune("refs/heads/main")(&o)
			r, warn := run(t, context.Background(), o, tt.res)
			if !strings.Contains(warn, tt.warn) || r.Failed != tt.failed {
				t.Errorf("warnings %q, failed %v; want %q, failed %v", warn, r.Failed, tt.warn, tt.failed)
			}
			if r.Revoked != 0 {
				t.Errorf("Revoked = %d, want 0 (a bypass never revokes)", r.Revoked)
			}
			var got []revoker.Bypass
			var asked *fakeResolver
			switch res := tt.res.(type) {
			case *fakeRecorder:
				got, asked = res.got, &res.fakeResolver
			case *fakeResolver:
				asked = res
			}
			if asked.revoke {
				t.Error("the resolver was asked to revoke")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("bypasses recorded:\n%+v\nwant:\n%+v", got, tt.want)
			}
		})
	}
}
