package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/store/storetest"
)

// open opens a store on path and closes it at cleanup.
func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "leakguard.db"))
	})
}

// TestTwoProcesses runs the suite with every write going to one Store and
// a second Store on the same file used for everything, as a CLI and a
// server sharing the file would.
func TestSharedFile(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "shared.db")
		open(t, path)
		return &twoStores{Store: open(t, path), other: open(t, path)}
	})
}

// twoStores sends revocations, and issuer report claims and answers,
// alternately through two Stores on one file.
type twoStores struct {
	*sqlite.Store
	other *sqlite.Store
	mu    sync.Mutex
	n     int
}

func (s *twoStores) pick() *sqlite.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n%2 == 0 {
		return s.other
	}
	return s.Store
}

func (s *twoStores) ClaimIssuerReport(ctx context.Context, r store.IssuerReport, now time.Time, lease time.Duration) (store.IssuerReport, bool, error) {
	return s.pick().ClaimIssuerReport(ctx, r, now, lease)
}

func (s *twoStores) AnswerIssuerReport(ctx context.Context, hash string, state store.IssuerReportState, response string, at, retryAt time.Time) (store.IssuerReport, error) {
	return s.pick().AnswerIssuerReport(ctx, hash, state, response, at, retryAt)
}

func (s *twoStores) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	if len(req.Reason)%2 == 0 {
		return s.other.Revoke(ctx, req)
	}
	return s.Store.Revoke(ctx, req)
}

func TestFileModeAndPragmas(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "lg.db")
	s := open(t, path)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("db file mode = %o, want 600", got)
	}
	mode, sync, err := s.Pragmas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Errorf("journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync)
	}
	// A batch of last-use writes commits with synchronous=NORMAL, and the
	// writer is back to FULL for every other commit.
	tok := &store.Token{ID: "tok_1", Hash: strings.Repeat("a", 64), Type: "user", Owner: "o", Valid: true}
	if err := s.CreateToken(context.Background(), tok, store.Event{}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchLastUsedMany(context.Background(), []store.Touch{{ID: tok.ID, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, sync, err := s.Pragmas(context.Background()); err != nil || sync != 2 {
		t.Errorf("after a batched touch: synchronous=%d, %v; want 2 (FULL)", sync, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lg.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok := &store.Token{ID: "tok_1", Hash: "0000000000000000000000000000000000000000000000000000000000000001",
		Type: "user", Owner: "o", Valid: true}
	if err := s.CreateToken(ctx, tok, store.Event{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path) // migrations must not run twice
	got, err := s2.TokenByHash(ctx, tok.Hash)
	if err != nil || got.ID != tok.ID {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", "a?b.db", filepath.Join(t.TempDir(), "missing", "dir", "x.db")} {
		if s, err := sqlite.Open(context.Background(), path, sqlite.Options{}); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want error", path)
		}
	}
}
