package lifecycle_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/sqlite"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// opener opens a fresh store with the test clock.
type opener func(t *testing.T, now func() time.Time) store.Store

// openSQLite opens a fresh SQLite store in t.TempDir(), closed when the
// test ends.
func openSQLite(t *testing.T, now func() time.Time) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestScenarioSQLite(t *testing.T) {
	t.Parallel()
	testScenario(t, openSQLite)
}

func TestScenarioPostgres(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	testScenario(t, func(t *testing.T, now func() time.Time) store.Store {
		schema := testenv.NewSchema(t, dsn)
		st, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: now, Schema: schema, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	})
}

// testScenario walks tokens through their lives on a real store: policy,
// verify messages, revoke idempotency and its outbox entry, last_used_at,
// sweep notices and expiry.
func testScenario(t *testing.T, open opener) {
	ctx := context.Background()
	clk := &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)}
	st := open(t, clk.Now)
	m := lifecycle.New(st, patterns.Default(), lifecycle.Options{Now: clk.Now, Logger: zerolog.Nop()})
	defer m.Close()
	issue := func(exp string) lifecycle.Issued {
		t.Helper()
		is, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "alice", Name: "n", ExpiresIn: exp, Actor: "t", Source: "test"})
		if err != nil {
			t.Fatalf("Issue(%s): %v", exp, err)
		}
		return is
	}
	capped, short, long := issue("1000d"), issue("1s"), issue("10d")
	got, err := m.Get(ctx, capped.Token.ID)
	if err != nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(m.Now().Add(365*lifecycle.Day)) {
		t.Fatalf("capped token = %+v, %v; want expiry now+365d", got, err)
	}
	if v, err := m.Verify(ctx, long.Secret); err != nil || !v.Valid {
		t.Fatalf("Verify long = %+v, %v", v, err)
	}
	clk.Add(2 * time.Second)
	v, err := m.Verify(ctx, short.Secret)
	if want := "This API token expired on " + short.Token.ExpiresAt.Format(time.RFC3339); err != nil || v.Valid || v.Message != want {
		t.Errorf("Verify short = %+v, %v; want %q", v, err, want)
	}
	revAt := m.Now()
	tok, already, err := m.Revoke(ctx, lifecycle.RevokeRequest{Secret: capped.Secret, Reason: "leaked: file a:1", Actor: "bob"})
	if err != nil || already || tok.Valid {
		t.Fatalf("Revoke = %+v, %v, %v", tok, already, err)
	}
	clk.Add(time.Second)
	if _, already, err = m.Revoke(ctx, lifecycle.RevokeRequest{Hash: capped.Token.Hash, Reason: "again", Actor: "bob"}); err != nil || !already {
		t.Errorf("second Revoke: already=%v err=%v", already, err)
	}
	v, _ = m.Verify(ctx, capped.Secret)
	if want := "This API token became invalid on " + revAt.Format(time.RFC3339) + ": leaked: file a:1"; v.Message != want {
		t.Errorf("revoked message = %q, want %q", v.Message, want)
	}
	clk.Add(4 * lifecycle.Day) // long: 6 days left
	if err := m.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	_ = m.Close()                                                                                                                  // flush background writes
	checkTrail(t, m, short.Token.ID, store.EventIssued, store.EventExpired, store.EventVerifiedInvalid, store.EventExpiringNotice) // oldest first: expired is dated at the expiry
	checkTrail(t, m, capped.Token.ID, store.EventIssued, store.EventRevoked, store.EventVerifiedInvalid)
	checkTrail(t, m, long.Token.ID, store.EventIssued, store.EventExpiringNotice)
	if got, _ := m.Get(ctx, long.Token.ID); got.LastUsedAt == nil {
		t.Error("long token's last_used_at was not recorded")
	}
	ns, err := st.ClaimNotifications(ctx, clk.Now(), 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, n := range ns {
		types[n.Type]++
	}
	if types[store.NotifyRevoked] != 1 || types[store.NotifyExpiring] != 1 || types[store.NotifyExpired] != 1 {
		t.Errorf("outbox = %v, want 1 token.revoked, 1 token.expiring (long 7d) and 1 token.expired (short)", types)
	}
}

func checkTrail(t *testing.T, m *lifecycle.Manager, id string, want ...store.EventKind) {
	t.Helper()
	evs, err := m.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.EventKind
	for _, e := range evs {
		got = append(got, e.Kind)
	}
	if len(got) != len(want) {
		t.Errorf("events of %s = %v, want %v", id, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("events of %s = %v, want %v", id, got, want)
			return
		}
	}
}
