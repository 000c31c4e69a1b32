package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

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
// For a CPU profile: go test -run XXX -bench VerifyHandler -cpuprofile cpu.out ./webhook
func BenchmarkVerifyHandler(b *testing.B) {
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
	svc, user := issue(patterns.TypeService), issue(patterns.TypeUser)
	h, body := srv.Handler(), `{"token":"`+user.Reveal()+`"}`
	b.ReportAllocs()
	b.SetParallelism(8) // 8 x GOMAXPROCS concurrent requests, like wrk -c16 on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/tokens/verify", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+svc.Reveal())
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"valid":true`) {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}
