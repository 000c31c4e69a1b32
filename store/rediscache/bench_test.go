package rediscache

import (
	"context"
	"testing"
)

// BenchmarkTokenByHash measures lookups on the shared Redis: a cached
// valid token (hit) and an unknown hash served by its negative entry.
func BenchmarkTokenByHash(b *testing.B) {
	for _, bc := range []struct {
		name  string
		known bool
	}{{"hit", true}, {"negative", false}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			db := newTestDB(b)
			c, _, _ := newSharedCache(b, db, nil)
			hash := unknownHash(b)
			if bc.known {
				hash = create(b, db).Hash
			}
			_, _ = c.TokenByHash(ctx, hash) // fill
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, _ = c.TokenByHash(ctx, hash)
				}
			})
			b.StopTimer()
			if reads := db.hashReads.Load(); reads != 1 {
				b.Errorf("database reads = %d, want 1 (every other lookup a cache hit)", reads)
			}
		})
	}
}
