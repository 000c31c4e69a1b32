package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store/postgres"
)

// testPostgres returns a DSN whose search_path is a fresh schema (created
// and migrated here, dropped at cleanup), skipping when PostgreSQL is
// unreachable unless LEAKGUARD_REQUIRE_SERVICES=1 (testenv.PostgresSchema).
func testPostgres(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn, schema = testenv.PostgresSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
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

// TestTokenLifecycleCLIPostgresRedis runs the scenario through the Redis
// cache (wrapRedis' default key prefix; the keys are per-token hashes and
// ids, removed afterwards) and searches every cached value for plaintext.
func TestTokenLifecycleCLIPostgresRedis(t *testing.T) {
	t.Parallel()
	dsn, _ := testPostgres(t)
	redisURL, rdb := testenv.RedisClient(t)
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
