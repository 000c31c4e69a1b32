package github_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/rs/zerolog"
)

// foreignToken is a checksum-valid GitHub token (not ours).
func foreignToken(t *testing.T) string {
	t.Helper()
	f, ok := patterns.Default().ByID("github-pat")
	if !ok {
		t.Fatal("no github-pat format")
	}
	return f.WithChecksum("ghp_", strings.Repeat("a1B2c3", 5))
}

func TestSyncAlertsRevokesAndResolves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs syncBuffer
	log := zerolog.New(&logs)
	cat := patterns.Default()
	mgr := lifecycle.New(st, cat, lifecycle.Options{Logger: log})
	defer mgr.Close()
	iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "team", Name: "ci", ExpiresIn: "30d"})
	if err != nil {
		t.Fatal(err)
	}
	ours, foreign := iss.Secret.Reveal(), foreignToken(t)

	srv := githubtest.New()
	defer srv.Close()
	srv.AddAlert(
		githubtest.Alert{Number: 1, Repo: "acme/api", SecretType: "leakguard_user", Secret: ours},
		githubtest.Alert{Number: 2, Repo: "acme/web", SecretType: "github_personal_access_token", Secret: foreign},
	)
	sl := &fakeSleep{}
	c := newClient(t, srv, sl, &logs)
	rv := revoker.New(st, cat, revoker.Options{Logger: log})
	var outs []github.Outcome
	stats, err := github.SyncAlerts(ctx, c, rv, github.SyncOptions{Org: "acme", Resolve: true}, func(o github.Outcome) error {
		outs = append(outs, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (github.SyncStats{Alerts: 2, Ours: 1, Revoked: 1, Resolved: 1}); !reflect.DeepEqual(stats, want) {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	tok, err := st.TokenByID(ctx, iss.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantReason := "leaked: github-alert https://github.com/acme/api/security/secret-scanning/1"
	if tok.State(mgr.Now()) != leakguard.StateRevoked || tok.InvalidReason != wantReason {
		t.Errorf("token state %s reason %q, want revoked %q", tok.State(mgr.Now()), tok.InvalidReason, wantReason)
	}
	a1, a2 := srv.AlertByNumber(1), srv.AlertByNumber(2)
	if a1.State != "resolved" || a1.Resolution != "revoked" || !strings.Contains(a1.ResolutionComment, wantReason) {
		t.Errorf("alert 1 = %s/%s %q, want resolved/revoked with the reason", a1.State, a1.Resolution, a1.ResolutionComment)
	}
	if a2.State != "open" {
		t.Errorf("foreign alert state = %s, want open (not ours)", a2.State)
	}
	// a second sync sees only the foreign open alert and changes nothing
	stats, err = github.SyncAlerts(ctx, c, rv, github.SyncOptions{Org: "acme", Resolve: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (github.SyncStats{Alerts: 1}); !reflect.DeepEqual(stats, want) {
		t.Errorf("second stats = %+v, want %+v", stats, want)
	}
	evs, _ := st.Events(ctx, iss.Token.ID)
	if n := countKind(evs, store.EventLeakReported); n != 1 {
		t.Errorf("leak_reported events = %d, want 1", n)
	}
	for _, secret := range []string{ours, foreign} {
		if strings.Contains(logs.String(), secret) || strings.Contains(a1.ResolutionComment, secret) {
			t.Error("a plaintext secret reached a log line or a comment")
		}
	}
}

func countKind(evs []store.Event, k store.EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}
