package storeopen

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
)

func TestWithRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "lg.db"), Options{Log: zerolog.Nop(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()

	t.Run("empty URL leaves the store alone", func(t *testing.T) {
		got, err := WithRedis(st, "", zerolog.Nop())
		if err != nil || got != st {
			t.Fatalf("WithRedis(\"\") = %T, %v; want the same store", got, err)
		}
		if _, ok := RedisReadyCheck(got); ok {
			t.Error("a store without cache has a redis readiness check")
		}
	})
	t.Run("bad URL does not echo the password", func(t *testing.T) {
		_, err := WithRedis(st, "redis://:s3cretpass@127.0.0.1:6379/x", zerolog.Nop())
		if err == nil || strings.Contains(err.Error(), "s3cretpass") {
			t.Fatalf("err = %v, want an error without the password", err)
		}
	})
	t.Run("unreachable Redis still opens and answers", func(t *testing.T) {
		own, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "own.db"), Options{Log: zerolog.Nop(), Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		got, err := WithRedis(own, "redis://127.0.0.1:1/0", zerolog.Nop())
		if err != nil {
			_ = own.Close()
			t.Fatal(err)
		}
		defer func() {
			if err := got.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		check, ok := RedisReadyCheck(got)
		if !ok {
			t.Fatal("no redis readiness check on the cached store")
		}
		if err := check(ctx); err == nil {
			t.Error("readiness check passed with Redis down")
		}
		if err := got.Ping(ctx); err != nil {
			t.Errorf("store Ping = %v; Redis down must not make the store unready", err)
		}
		if _, err := got.TokenByHash(ctx, strings.Repeat("a", 64)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lookup = %v, want not found from the database", err)
		}
	})
}
