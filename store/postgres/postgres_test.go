package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/storetest"
)

// open opens a store on schema and closes it at cleanup (registered after
// testenv.NewSchema's, so it runs first).
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
	dsn := testenv.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, dsn, testenv.NewSchema(t, dsn))
	})
}

// TestTwoProcesses runs the suite on two pools sharing one schema, as two
// serve processes would: revocations and outbox claims alternate between
// them, so the concurrency cases race across connections pools.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		schema := testenv.NewSchema(t, dsn)
		return &twoPools{Store: open(t, dsn, schema), other: open(t, dsn, schema)}
	})
}

// twoPools sends every other Revoke, RecordNotice, claim (outbox and
// issuer reports) and issuer report answer through a second Store (its own pool) on the same schema.
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

func (s *twoPools) ClaimIssuerReport(ctx context.Context, r store.IssuerReport, now time.Time, lease time.Duration) (store.IssuerReport, bool, error) {
	return s.pick().ClaimIssuerReport(ctx, r, now, lease)
}

func (s *twoPools) AnswerIssuerReport(ctx context.Context, hash string, state store.IssuerReportState, response string, at, retryAt time.Time) (store.IssuerReport, error) {
	return s.pick().AnswerIssuerReport(ctx, hash, state, response, at, retryAt)
}

func (s *twoPools) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Notification, error) {
	return s.pick().ClaimNotifications(ctx, now, limit, lease)
}

func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	schema := testenv.NewSchema(t, dsn)
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
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	if applied != len(files) {
		t.Errorf("schema_migrations rows = %d, want %d (each migration once)", applied, len(files))
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
