package webhook_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store/rediscache"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/webhook"
)

// BenchmarkVerifyHandler runs POST /v1/tokens/verify through the server's
// handler (middleware, request log at info level into io.Discard, metrics)
// on SQLite behind the Redis cache on a private redis-server, as `serve
// --redis` wires it, without the HTTP transport. Every answer is checked.
// tokens=1 verifies one hot token; tokens=3000 verifies 3,000 distinct
// tokens drawn at random (each verified once before the timer starts, so
// the caches are warm).
// For a CPU profile: go test -run XXX -bench VerifyHandler -cpuprofile cpu.out ./webhook
func BenchmarkVerifyHandler(b *testing.B) {
	for _, n := range []int{1, 3000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) { benchVerifyHandler(b, n) })
	}
}

func benchVerifyHandler(b *testing.B, n int) {
	ctx := context.Background()
	p := testenv.RedisServer(b)
	raw, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := rediscache.New(raw, rediscache.Options{URL: p.URL(), Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	cat := patterns.Default()
	mgr := lifecycle.New(c, cat, lifecycle.Options{Logger: zerolog.Nop()})
	b.Cleanup(func() { _ = mgr.Close() })
	srv, err := webhook.New(webhook.Config{Manager: mgr, Revoker: revoker.New(c, cat, revoker.Options{}),
		Logger: zerolog.New(io.Discard).Level(zerolog.InfoLevel)})
	if err != nil {
		b.Fatal(err)
	}
	issue := func(typ string) patterns.Secret {
		iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o@example.org", Name: "n", Type: typ, Actor: "t", Source: "t"})
		if err != nil {
			b.Fatal(err)
		}
		return iss.Secret
	}
	svc, h := issue(patterns.TypeService), srv.Handler()
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = `{"token":"` + issue(patterns.TypeUser).Reveal() + `"}`
	}
	verify := func(body string) bool {
		req := httptest.NewRequest("POST", "/v1/tokens/verify", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+svc.Reveal())
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"valid":true`) {
			b.Errorf("status %d: %s", w.Code, w.Body)
			return false
		}
		return true
	}
	for _, body := range bodies { // warm: Redis and the near cache
		verify(body)
	}
	time.Sleep(time.Second) // the invalidation channel proves itself
	b.ReportAllocs()
	b.SetParallelism(8) // 8 x GOMAXPROCS concurrent requests, like wrk -c16 on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			if !verify(bodies[r.IntN(n)]) {
				return
			}
		}
	})
}
