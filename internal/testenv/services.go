package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Default addresses of the shared test services.
const (
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultRedis    = "redis://127.0.0.1:6379/15"
)

// Env is the environment the helpers read their settings from.
type Env struct {
	// Getenv returns the value of an environment variable ("" if unset).
	Getenv func(name string) string
}

// OS is the process environment: the one place this package reads it.
func OS() Env { return Env{Getenv: os.Getenv} }

// RequireServices reports whether an unreachable service fails the test
// (LEAKGUARD_REQUIRE_SERVICES=1) instead of skipping it.
func (e Env) RequireServices() bool { return e.Getenv("LEAKGUARD_REQUIRE_SERVICES") == "1" }

// RequireServices is OS().RequireServices.
func RequireServices() bool { return OS().RequireServices() }

// SkipOrFail skips t with the message, or fails it under
// LEAKGUARD_REQUIRE_SERVICES=1.
func (e Env) SkipOrFail(t testing.TB, format string, a ...any) {
	t.Helper()
	if e.RequireServices() {
		t.Fatalf(format, a...)
	}
	t.Skipf(format, a...)
}

// SkipOrFail is OS().SkipOrFail.
func SkipOrFail(t testing.TB, format string, a ...any) {
	t.Helper()
	OS().SkipOrFail(t, format, a...)
}

// or is the environment variable name, or def when it is empty.
func (e Env) or(name, def string) string {
	if v := e.Getenv(name); v != "" {
		return v
	}
	return def
}

// RandomHex returns n random bytes in hex, for unique schema names and key
// prefixes.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PostgresDSN returns the shared test database's DSN
// (LEAKGUARD_TEST_POSTGRES, default DefaultPostgres) once it answers a
// ping; else the test is skipped or failed.
func (e Env) PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := e.or("LEAKGUARD_TEST_POSTGRES", DefaultPostgres)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = conn.Ping(ctx)
		_ = conn.Close(ctx)
	}
	if err != nil {
		e.SkipOrFail(t, "PostgreSQL unreachable (set LEAKGUARD_TEST_POSTGRES): %v", err)
	}
	return dsn
}

// PostgresDSN is OS().PostgresDSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return OS().PostgresDSN(t)
}

// NewSchema returns a fresh schema name ("lg_test_" and random hex) and
// drops that schema when the test ends. Register it before opening a
// store on the schema, so the store's own cleanup (closing it) runs first.
func NewSchema(t testing.TB, dsn string) string {
	t.Helper()
	schema := "lg_test_" + RandomHex(6)
	t.Cleanup(func() { dropSchema(t, dsn, schema) })
	return schema
}

// PostgresSchema is PostgresDSN and NewSchema in one call.
func PostgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn = PostgresDSN(t)
	return dsn, NewSchema(t, dsn)
}

// dropSchema drops schema and everything in it.
func dropSchema(t testing.TB, dsn, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

// RedisURL returns the shared test Redis URL (LEAKGUARD_TEST_REDIS,
// default DefaultRedis) once it answers a ping; else the test is skipped
// or failed.
func RedisURL(t testing.TB) string {
	t.Helper()
	u, _ := RedisClient(t)
	return u
}

// RedisClient is RedisURL with a client on it, closed when the test ends.
func (e Env) RedisClient(t testing.TB) (string, *redis.Client) {
	t.Helper()
	u := e.or("LEAKGUARD_TEST_REDIS", DefaultRedis)
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("LEAKGUARD_TEST_REDIS: %v", err)
	}
	rdb := redis.NewClient(o)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		e.SkipOrFail(t, "shared Redis %s unreachable (set LEAKGUARD_TEST_REDIS): %v", o.Addr, err)
	}
	return u, rdb
}

// RedisClient is OS().RedisClient.
func RedisClient(t testing.TB) (string, *redis.Client) {
	t.Helper()
	return OS().RedisClient(t)
}

// KeyPrefix returns base followed by random hex and ":", unique to this
// call, and deletes every key under it (SCAN + DEL) when the test ends.
// Nothing else in the shared database is touched.
func KeyPrefix(t testing.TB, rdb *redis.Client, base string) string {
	t.Helper()
	p := base + RandomHex(6) + ":"
	t.Cleanup(func() { DeleteKeys(t, rdb, p) })
	return p
}

// DeleteKeys deletes the keys under prefix (SCAN + DEL, never FLUSHDB).
func DeleteKeys(t testing.TB, rdb *redis.Client, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ks, err := ScanKeys(ctx, rdb, prefix)
	if err != nil {
		t.Errorf("clean up %s: %v", prefix, err)
		return
	}
	if len(ks) > 0 {
		if err := rdb.Del(ctx, ks...).Err(); err != nil {
			t.Errorf("clean up %s: %v", prefix, err)
		}
	}
}

// ScanKeys lists every key under prefix.
func ScanKeys(ctx context.Context, rdb *redis.Client, prefix string) ([]string, error) {
	var out []string
	it := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for it.Next(ctx) {
		out = append(out, it.Val())
	}
	return out, it.Err()
}
