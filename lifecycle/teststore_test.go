package lifecycle

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
)

// testStore is a real SQLite store in t.TempDir() that counts the calls
// which read or write tokens and events, so tests can check that some
// paths touch no store. Embedding the interface hides the adapter's
// optional store.BatchGetter.
type testStore struct {
	store.Store
	t      *testing.T
	calls  atomic.Int64
	claims atomic.Int64
}

// newTestStore opens an empty store on the clock now, closed when the
// test ends.
func newTestStore(t *testing.T, now func() time.Time) *testStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &testStore{Store: st, t: t}
}

// Calls is how many counted calls the store has had.
func (s *testStore) Calls() int64 { return s.calls.Load() }

// Tokens returns every stored token.
func (s *testStore) Tokens() []*store.Token {
	s.t.Helper()
	ts, err := s.Store.ListTokens(context.Background(), store.ListFilter{})
	if err != nil {
		s.t.Fatalf("list tokens: %v", err)
	}
	return ts
}

// Outbox returns every notification in the outbox. It claims them far in
// the future, each call an hour after the last, for a microsecond: the
// next call sees them all again.
func (s *testStore) Outbox() []store.Notification {
	s.t.Helper()
	at := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.claims.Add(1)) * time.Hour)
	ns, err := s.Store.ClaimNotifications(context.Background(), at, 10000, time.Microsecond)
	if err != nil {
		s.t.Fatalf("outbox: %v", err)
	}
	return ns
}

func (s *testStore) CreateToken(ctx context.Context, t *store.Token, ev store.Event) error {
	s.calls.Add(1)
	return s.Store.CreateToken(ctx, t, ev)
}

func (s *testStore) TokenByHash(ctx context.Context, h string) (*store.Token, error) {
	s.calls.Add(1)
	return s.Store.TokenByHash(ctx, h)
}

func (s *testStore) TokenByID(ctx context.Context, id string) (*store.Token, error) {
	s.calls.Add(1)
	return s.Store.TokenByID(ctx, id)
}

func (s *testStore) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	s.calls.Add(1)
	return s.Store.Revoke(ctx, req)
}

func (s *testStore) TouchLastUsed(ctx context.Context, id string, at time.Time) error {
	s.calls.Add(1)
	return s.Store.TouchLastUsed(ctx, id, at)
}

func (s *testStore) AppendEvent(ctx context.Context, ev store.Event) error {
	s.calls.Add(1)
	return s.Store.AppendEvent(ctx, ev)
}
