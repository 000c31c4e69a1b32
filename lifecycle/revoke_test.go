package lifecycle_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// revokeCounter counts the Revoke calls that reach the store.
type revokeCounter struct {
	store.Store
	revokes atomic.Int64
}

func (c *revokeCounter) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	c.revokes.Add(1)
	return c.Store.Revoke(ctx, req)
}

// settlingCounter is a revokeCounter that is a store.Settler, as the
// Redis near cache is.
type settlingCounter struct {
	revokeCounter
}

func (*settlingCounter) Settle(context.Context) error { return nil }

// TestRevokeAlreadyRevokedSettles: the manual revoke follows the
// revoker's rule. A token that is already revoked still goes through the
// store's Revoke on a store.Settler (which writes nothing, but waits out
// the near caches' leases of another process's revocation of a moment
// ago), and makes no Revoke call on other stores. A token merely past its
// expiry makes none on either.
func TestRevokeAlreadyRevokedSettles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		settling    bool
		wantRevokes int64 // first revocation, then the repeated one
	}{
		{"settler", true, 2},
		{"plain store", false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
			counter := &settlingCounter{revokeCounter{Store: openSQLite(t, clk.Now)}}
			var st store.Store = &counter.revokeCounter
			if tc.settling {
				st = counter
			}
			m := lifecycle.New(st, patterns.Default(), lifecycle.Options{Now: clk.Now, Logger: zerolog.Nop()})
			defer m.Close()
			issue := func(exp string) lifecycle.Issued {
				t.Helper()
				is, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "alice", Name: "n", ExpiresIn: exp, Actor: "t", Source: "test"})
				if err != nil {
					t.Fatal(err)
				}
				return is
			}
			leaked, short := issue("10d"), issue("1s")
			for i, want := range []bool{false, true} {
				_, already, err := m.Revoke(ctx, lifecycle.RevokeRequest{Secret: leaked.Secret, Reason: "leaked", Actor: "bob"})
				if err != nil || already != want {
					t.Fatalf("Revoke #%d: already=%v, %v; want already=%v", i+1, already, err, want)
				}
			}
			clk.Add(2 * time.Second)
			if _, already, err := m.Revoke(ctx, lifecycle.RevokeRequest{ID: short.Token.ID, Reason: "r", Actor: "bob"}); err != nil || !already {
				t.Fatalf("Revoke(expired): already=%v, %v; want already", already, err)
			}
			if got, want := counter.revokes.Load(), tc.wantRevokes; got != want {
				t.Errorf("store Revoke calls = %d, want %d", got, want)
			}
		})
	}
}
