package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store/postgres"
)

// testPostgres returns a DSN whose search_path is a fresh schema (created
// and migrated here, dropped at cleanup), skipping when PostgreSQL is
// unreachable unless LEAKGUARD_REQUIRE_SERVICES=1.
func testPostgres(t *testing.T) (dsn, schema string) {
	t.Helper()
	dsn = os.Getenv("LEAKGUARD_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("LEAKGUARD_REQUIRE_SERVICES") == "1" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set LEAKGUARD_TEST_POSTGRES): %v", err)
	}
	_ = conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "lg_cli_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = conn.Close(ctx)
		}
	})
	st, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("create schema: %v", err)
	}
	_ = st.Close()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func TestTokenLifecycleCLIPostgres(t *testing.T) {
	t.Parallel()
	dsn, schema := testPostgres(t)
	c := newCLI(t, dsn)
	c.env["LEAKGUARD_LOG_LEVEL"] = "debug"
	testTokenLifecycle(t, c)
	issued := issuedTokens(c) // no plaintext in any output but issue's
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var dump bytes.Buffer
	if err := st.Dump(context.Background(), &dump); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dump.Bytes(), []byte("leaked: file a.py:3")) {
		t.Fatal("dump does not hold the revocation: wrong schema?")
	}
	for _, tok := range issued {
		if bytes.Contains(dump.Bytes(), []byte(tok)) {
			t.Error("a PostgreSQL table holds a plaintext token")
		}
	}
}

// testRedis returns the shared test Redis URL, skipping when unreachable
// unless LEAKGUARD_REQUIRE_SERVICES=1.
func testRedis(t *testing.T) (string, *redis.Client) {
	t.Helper()
	u := os.Getenv("LEAKGUARD_TEST_REDIS")
	if u == "" {
		u = "redis://127.0.0.1:6379/15"
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("LEAKGUARD_TEST_REDIS: %v", err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if os.Getenv("LEAKGUARD_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis unreachable: %v", err)
		}
		t.Skipf("Redis unreachable (set LEAKGUARD_TEST_REDIS): %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return u, rdb
}

// TestTokenLifecycleCLIPostgresRedis runs the scenario through the Redis
// cache (wrapRedis' default key prefix; the keys are per-token hashes and
// ids, removed afterwards) and searches every cached value for plaintext.
func TestTokenLifecycleCLIPostgresRedis(t *testing.T) {
	t.Parallel()
	dsn, _ := testPostgres(t)
	redisURL, rdb := testRedis(t)
	c := newCLI(t, dsn)
	c.env["LEAKGUARD_REDIS"] = redisURL
	testTokenLifecycle(t, c)
	issued := issuedTokens(c)
	ctx := context.Background()
	var keys []string
	for _, tok := range append(issued, unknownToken()) {
		keys = append(keys, "leakguard:tok:h:"+patterns.HashToken(tok))
	}
	for _, r := range c.list() {
		keys = append(keys, "leakguard:tok:i:"+r["id"].(string))
	}
	defer rdb.Del(ctx, keys...)
	cached := 0
	for _, k := range keys {
		v, err := rdb.Get(ctx, k).Result()
		if err != nil {
			continue
		}
		cached++
		for _, tok := range issued {
			if strings.Contains(v, tok) || strings.Contains(k, tok) {
				t.Errorf("Redis key %s holds a plaintext token", k)
			}
		}
	}
	if cached == 0 {
		t.Error("nothing was cached in Redis: was --redis applied?")
	}
}
