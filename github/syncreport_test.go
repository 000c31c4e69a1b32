package github

import (
	"crypto/rand"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
)

func TestSyncStatsSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    SyncStats
		want string
	}{
		{SyncStats{}, "github alerts: 0 alerts, 0 of our tokens, 0 revoked now, 0 resolved, 0 failed"},
		{SyncStats{Alerts: 1, Ours: 1, Revoked: 1, Resolved: 1}, "github alerts: 1 alert, 1 of our tokens, 1 revoked now, 1 resolved, 0 failed"},
	}
	for _, tt := range tests {
		if got := tt.s.Summary(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestOutcomeFinding(t *testing.T) {
	t.Parallel()
	cat := patterns.Default()
	f, ok := cat.Issued(patterns.TypeUser)
	if !ok {
		t.Fatal("no issued user format")
	}
	tok, err := f.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		out        Outcome
		wantRule   string
		wantStatus leakguard.State
	}{
		{"no secret", Outcome{Alert: Alert{Number: 7, SecretType: "other_token"}}, "other_token", leakguard.StateUnknown},
		{"ours, revoked", Outcome{Alert: Alert{Number: 7, SecretType: "leakguard_token", Secret: tok},
			Token: revoker.Outcome{State: leakguard.StateRevoked, Action: leakguard.ActionRevoked}}, "", leakguard.StateRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.out.Finding(cat)
			if got, want := f.Path, "security/secret-scanning/7"; got != want {
				t.Errorf("path %q, want %q", got, want)
			}
			if tt.wantRule != "" && f.Rule != tt.wantRule {
				t.Errorf("rule %q, want %q", f.Rule, tt.wantRule)
			}
			if got, want := f.Status, tt.wantStatus; got != want {
				t.Errorf("status %q, want %q", got, want)
			}
			if !tt.out.Alert.Secret.IsZero() && (f.TokenHash != tt.out.Alert.Secret.Hash() || f.Redacted == tt.out.Alert.Secret.Reveal()) {
				t.Errorf("finding %+v: want the hash and a redacted form only", f)
			}
		})
	}
}
