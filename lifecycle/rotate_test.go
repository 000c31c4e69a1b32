package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

func newRotateManager(t *testing.T) (*lifecycle.Manager, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	m := lifecycle.New(openSQLite(t, clk.Now), patterns.Default(), lifecycle.Options{Now: clk.Now, Logger: zerolog.Nop(),
		Policy: lifecycle.Policy{DefaultExpiry: 30 * lifecycle.Day, MaxExpiry: 2 * lifecycle.Day}})
	t.Cleanup(func() { _ = m.Close() })
	return m, clk
}

// TestRotateWithGrace: the successor copies owner, name, type and scopes
// with the default expiry; the grace is capped by the policy's maximum;
// both verify until the grace ends, then only the successor.
func TestRotateWithGrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, clk := newRotateManager(t)
	old, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "bob", Name: "ci", Type: patterns.TypeService,
		ExpiresIn: "2d", Scopes: []string{"write", "read"}, Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	rot, err := m.Rotate(ctx, lifecycle.RotateRequest{Secret: old.Secret, Grace: "5d", Actor: "cli:bob", Source: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	succ, now := rot.Token, clk.Now()
	if succ.Owner != "bob" || succ.Name != "ci" || succ.Type != patterns.TypeService ||
		!slices.Equal(succ.Scopes, []string{"read", "write"}) || succ.Replaces != old.Token.ID {
		t.Errorf("successor = %+v", succ)
	}
	if want := now.Add(2 * lifecycle.Day); !succ.ExpiresAt.Equal(want) { // default 30d capped to max 2d
		t.Errorf("successor expires %v, want %v", succ.ExpiresAt, want)
	}
	// grace 5d capped to 2d, then to the old token's own expiry (issue + 2d)
	if want := old.Token.ExpiresAt; !rot.Old.Valid || !rot.Old.ExpiresAt.Equal(*want) || rot.Old.ReplacedBy != succ.ID {
		t.Errorf("old after rotation = %+v, want valid until %v", rot.Old, want)
	}
	for _, s := range []patterns.Secret{old.Secret, rot.Secret} {
		if v, err := m.Verify(ctx, s); err != nil || !v.Valid {
			t.Errorf("verify during grace = %+v, %v", v, err)
		}
	}
	if _, err := m.Rotate(ctx, lifecycle.RotateRequest{ID: old.Token.ID, Actor: "t"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second rotation err = %v, want ErrConflict", err)
	}
	clk.Add(2*lifecycle.Day - 30*time.Minute) // past the old token's end, before the successor's
	if v, err := m.Verify(ctx, old.Secret); err != nil || v.Valid {
		t.Errorf("old after grace = %+v, %v; want invalid", v, err)
	}
	if v, err := m.Verify(ctx, rot.Secret); err != nil || !v.Valid {
		t.Errorf("successor after grace = %+v, %v; want valid", v, err)
	}
}

// TestRotateAtOnce: no grace revokes the old token with one token.revoked
// notification.
func TestRotateAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := newRotateManager(t)
	old, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "bob", Name: "ci", Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := m.Rotate(ctx, lifecycle.RotateRequest{ID: old.Token.ID, Grace: "0", Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Old.Valid || rot.Old.InvalidReason != "rotated to "+rot.Token.ID {
		t.Errorf("old = %+v, want revoked", rot.Old)
	}
	ns, err := m.Store().ClaimNotifications(ctx, time.Now().Add(time.Hour*24*3650), 10, time.Minute)
	if err != nil || len(ns) != 1 || ns[0].Type != store.NotifyRevoked {
		t.Errorf("outbox = %+v, %v; want one token.revoked", ns, err)
	}
}

// TestRotateRevoked: a token revoked for a leak is rotated (the owner's
// next step): the successor is issued with the same owner, name, type and
// scopes, and nothing else about the revoked token changes — its reason
// and time stay, a grace asked for is ignored, nobody is notified again.
func TestRotateRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, clk := newRotateManager(t)
	old, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "bob", Name: "ci", Type: patterns.TypeService,
		Scopes: []string{"deploy"}, Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	rev, _, err := m.Revoke(ctx, lifecycle.RevokeRequest{ID: old.Token.ID, Reason: "leaked: file .env:3", Actor: "scanner",
		Kind: store.EventLeakReported})
	if err != nil {
		t.Fatal(err)
	}
	st := m.Store()
	if ns, err := st.ClaimNotifications(ctx, time.Now().Add(24*time.Hour*3650), 10, time.Hour); err != nil || len(ns) != 1 {
		t.Fatalf("the leak's notification: %+v, %v", ns, err)
	}
	clk.Add(time.Hour)
	rot, err := m.Rotate(ctx, lifecycle.RotateRequest{Secret: old.Secret, Grace: "24h", Actor: "cli:bob", Source: "cli"})
	if err != nil {
		t.Fatalf("Rotate of a revoked token: %v", err)
	}
	if !rot.WasRevoked || rot.Old.Valid || rot.Old.InvalidReason != rev.InvalidReason || !rot.Old.InvalidAt.Equal(*rev.InvalidAt) ||
		!rot.Old.ExpiresAt.Equal(*rev.ExpiresAt) || rot.Old.ReplacedBy != rot.Token.ID {
		t.Errorf("old after rotation = %+v (was %+v), want unchanged but linked", rot.Old, rev)
	}
	succ := rot.Token
	if succ.Owner != "bob" || succ.Name != "ci" || succ.Type != patterns.TypeService || !slices.Equal(succ.Scopes, []string{"deploy"}) ||
		succ.Replaces != old.Token.ID {
		t.Errorf("successor = %+v", succ)
	}
	if v, err := m.Verify(ctx, rot.Secret); err != nil || !v.Valid {
		t.Errorf("successor verify = %+v, %v", v, err)
	}
	if v, err := m.Verify(ctx, old.Secret); err != nil || v.Valid || v.Message == "" {
		t.Errorf("old verify = %+v, %v; want still revoked", v, err)
	}
	if ns, err := st.ClaimNotifications(ctx, time.Now().Add(24*time.Hour*3650), 10, time.Hour); err != nil || len(ns) != 0 {
		t.Errorf("outbox after the rotation = %+v, %v; want nothing new", ns, err)
	}
	if _, err := m.Rotate(ctx, lifecycle.RotateRequest{ID: old.Token.ID, Actor: "t"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second rotation: %v, want ErrConflict", err)
	}
}

func TestRotateRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, clk := newRotateManager(t)
	live, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "bob", Name: "ci", Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "bob", Name: "ci", ExpiresIn: "1h", Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour) // gone has expired (the sweeper has not marked it)
	tests := []struct {
		name string
		req  lifecycle.RotateRequest
		want error
	}{
		{"no identifier", lifecycle.RotateRequest{Actor: "t"}, store.ErrInvalid},
		{"both identifiers", lifecycle.RotateRequest{ID: live.Token.ID, Secret: live.Secret, Actor: "t"}, store.ErrInvalid},
		{"no actor", lifecycle.RotateRequest{ID: live.Token.ID}, store.ErrInvalid},
		{"bad grace", lifecycle.RotateRequest{ID: live.Token.ID, Grace: "soon", Actor: "t"}, store.ErrInvalid},
		{"never grace", lifecycle.RotateRequest{ID: live.Token.ID, Grace: "never", Actor: "t"}, store.ErrInvalid},
		{"malformed", lifecycle.RotateRequest{Secret: patterns.NewSecret("lgu_nope"), Actor: "t"}, lifecycle.ErrMalformed},
		{"unknown", lifecycle.RotateRequest{ID: "tok_00000000000000000000000000000000", Actor: "t"}, store.ErrNotFound},
		{"expired", lifecycle.RotateRequest{ID: gone.Token.ID, Actor: "t"}, store.ErrConflict},
	}
	for _, tc := range tests {
		if _, err := m.Rotate(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}
