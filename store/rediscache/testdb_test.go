package rediscache

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
)

// testDB is the database side of the cache in tests: a real SQLite store
// in a temporary directory, with counters and a hook so tests can see
// which calls reached "the database" and can stop a read between its
// database access and its return. Embedding the interface hides the
// adapter's optional store.BatchGetter; its revocation log
// (store.RevocationFeed) is forwarded, as every adapter has one.
type testDB struct {
	store.Store

	hashReads atomic.Int64 // TokenByHash calls
	idReads   atomic.Int64 // TokenByID calls
	mu        sync.Mutex
	// afterRead, if set, runs after TokenByHash read the database and
	// before it returns.
	afterRead func(hash string)
	closed    atomic.Bool
}

// newTestDB opens an empty database, closed when the test ends.
func newTestDB(t testing.TB) *testDB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &testDB{Store: st}
}

func (m *testDB) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	m.hashReads.Add(1)
	t, err := m.Store.TokenByHash(ctx, hash)
	m.mu.Lock()
	hook := m.afterRead
	m.mu.Unlock()
	if hook != nil {
		hook(hash)
	}
	return t, err
}

func (m *testDB) TokenByID(ctx context.Context, id string) (*store.Token, error) {
	m.idReads.Add(1)
	return m.Store.TokenByID(ctx, id)
}

// Close records that the cache closed its database. The database itself
// stays open until the test ends: tests that stand for several processes
// put several caches over one database.
func (m *testDB) Close() error {
	m.closed.Store(true)
	return nil
}

var _ store.RevocationFeed = (*testDB)(nil)

func (m *testDB) RevocationHead(ctx context.Context) (int64, error) {
	return m.Store.(store.RevocationFeed).RevocationHead(ctx)
}

func (m *testDB) Revocations(ctx context.Context, q store.RevocationQuery) ([]store.Revocation, error) {
	return m.Store.(store.RevocationFeed).Revocations(ctx, q)
}
