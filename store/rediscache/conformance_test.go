package rediscache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

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
	url := sharedRedis(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return wrap(t, openSQLite(t), url)
	})
}

func TestConformanceOverPostgres(t *testing.T) {
	t.Parallel()
	url := sharedRedis(t)
	dsn := sharedPostgres(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return wrap(t, openPostgres(t, dsn), url)
	})
}

// TestConformanceRedisDown: with nothing listening at the Redis URL the
// cache is just the database.
func TestConformanceRedisDown(t *testing.T) {
	t.Parallel()
	url := "redis://127.0.0.1:" + deadPort(t) + "/0"
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
func wrap(t *testing.T, next store.Store, url string) store.Store {
	t.Helper()
	prefix := "lgconf:" + randHex(6) + ":"
	c, err := rediscache.New(next, rediscache.Options{URL: url, Prefix: prefix, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		deletePrefix(t, url, prefix)
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
	schema := "lgrc_" + randHex(6)
	t.Cleanup(func() { dropSchema(t, dsn, schema) })
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Log: zerolog.Nop(), Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	return s
}

func dropSchema(t *testing.T, dsn, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func sharedRedis(t *testing.T) string {
	t.Helper()
	url := os.Getenv("LEAKGUARD_TEST_REDIS")
	if url == "" {
		url = "redis://127.0.0.1:6379/15"
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("LEAKGUARD_TEST_REDIS: %v", err)
	}
	rdb := redis.NewClient(o)
	defer func() { _ = rdb.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		skipOrFail(t, "shared redis unreachable (set LEAKGUARD_TEST_REDIS): %v", err)
	}
	return url
}

func sharedPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("LEAKGUARD_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		skipOrFail(t, "postgres unreachable (set LEAKGUARD_TEST_POSTGRES): %v", err)
	}
	_ = conn.Close(ctx)
	return dsn
}

func skipOrFail(t *testing.T, format string, a ...any) {
	t.Helper()
	if os.Getenv("LEAKGUARD_REQUIRE_SERVICES") == "1" {
		t.Fatalf(format, a...)
	}
	t.Skipf(format, a...)
}

func deletePrefix(t *testing.T, url, prefix string) {
	t.Helper()
	o, _ := redis.ParseURL(url)
	rdb := redis.NewClient(o)
	defer func() { _ = rdb.Close() }()
	ctx := context.Background()
	var ks []string
	it := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for it.Next(ctx) {
		ks = append(ks, it.Val())
	}
	if len(ks) > 0 {
		if err := rdb.Del(ctx, ks...).Err(); err != nil {
			t.Errorf("clean up %s: %v", prefix, err)
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// deadPort returns a loopback port nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
