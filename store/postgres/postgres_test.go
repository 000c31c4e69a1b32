package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/storetest"
)

// testDSN returns the shared test database, skipping (or failing with
// LEAKGUARD_REQUIRE_SERVICES=1) when it cannot be reached.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("LEAKGUARD_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = conn.Ping(ctx)
		_ = conn.Close(ctx)
	}
	if err != nil {
		if os.Getenv("LEAKGUARD_REQUIRE_SERVICES") == "1" {
			t.Fatalf("PostgreSQL at LEAKGUARD_TEST_POSTGRES unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set LEAKGUARD_TEST_POSTGRES): %v", err)
	}
	return dsn
}

// newSchema returns a fresh schema name and drops the schema at cleanup.
func newSchema(t *testing.T, dsn string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "lg_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// open opens a store on schema and closes it at cleanup (registered after
// newSchema's, so it runs first).
func open(t *testing.T, dsn, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Log: zerolog.Nop(), Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, dsn, newSchema(t, dsn))
	})
}

// TestTwoProcesses runs the suite on two pools sharing one schema, as two
// serve processes would: revocations and outbox claims alternate between
// them, so the concurrency cases race across connections pools.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		schema := newSchema(t, dsn)
		return &twoPools{Store: open(t, dsn, schema), other: open(t, dsn, schema)}
	})
}

// twoPools sends every other Revoke, RecordNotice and claim through a
// second Store (its own pool) on the same schema.
type twoPools struct {
	*postgres.Store
	other *postgres.Store
	mu    sync.Mutex
	n     int
}

func (s *twoPools) pick() *postgres.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n%2 == 0 {
		return s.other
	}
	return s.Store
}

func (s *twoPools) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	return s.pick().Revoke(ctx, req)
}

func (s *twoPools) RecordNotice(ctx context.Context, req store.NoticeRequest) (bool, error) {
	return s.pick().RecordNotice(ctx, req)
}

func (s *twoPools) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Notification, error) {
	return s.pick().ClaimNotifications(ctx, now, limit, lease)
}

func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema, MaxConns: 2})
			if err == nil {
				err = s.Ping(context.Background())
				_ = s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var applied int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+schema+".schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("schema_migrations rows = %d, want 1 (each migration once)", applied)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cases := []struct {
		dsn, schema string
		want        error
	}{
		{"postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "", store.ErrUnavailable},
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "Bad-Schema;", store.ErrInvalid},
		{"postgres://%zz", "", store.ErrInvalid},
	}
	for _, c := range cases {
		s, err := postgres.Open(ctx, c.dsn, postgres.Options{Schema: c.schema})
		if err == nil {
			_ = s.Close()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("Open(%q, schema %q) err = %v, want %v", c.dsn, c.schema, err, c.want)
		}
	}
}
