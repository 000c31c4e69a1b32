package rediscache_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/rediscache"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/store/storetest"
)

// The conformance suite runs against the cache over each database: the
// decorator must be indistinguishable from the store it wraps.

func TestConformanceOverSQLite(t *testing.T) {
	t.Parallel()
	url, rdb := testenv.RedisClient(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return wrap(t, openSQLite(t), url, rdb)
	})
}

func TestConformanceOverPostgres(t *testing.T) {
	t.Parallel()
	url, rdb := testenv.RedisClient(t)
	dsn := testenv.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return wrap(t, openPostgres(t, dsn), url, rdb)
	})
}

// TestConformanceRedisDown: with nothing listening at the Redis URL the
// cache is just the database.
func TestConformanceRedisDown(t *testing.T) {
	t.Parallel()
	url := "redis://127.0.0.1:" + testenv.FreePort(t) + "/0"
	storetest.Run(t, func(t *testing.T) store.Store {
		c, err := rediscache.New(openSQLite(t), rediscache.Options{URL: url, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return noDump{c} // Dump needs Redis; the canary case skips
	})
}

// noDump hides Cache.Dump.
type noDump struct{ store.Store }

// wrap puts a cache with a fresh key prefix over next; the prefix's keys
// are deleted at cleanup (never FLUSHDB on the shared Redis).
func wrap(t *testing.T, next store.Store, url string, rdb *redis.Client) store.Store {
	t.Helper()
	prefix := testenv.KeyPrefix(t, rdb, "lgconf:")
	c, err := rediscache.New(next, rediscache.Options{URL: url, Prefix: prefix, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "leakguard.db"),
		sqlite.Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("sqlite: %v", err)
	}
	return s
}

// openPostgres opens the store in a schema of its own, dropped at cleanup
// (registered first, so it runs after the store is closed).
func openPostgres(t *testing.T, dsn string) store.Store {
	t.Helper()
	schema := testenv.NewSchema(t, dsn)
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Log: zerolog.Nop(), Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	return s
}
