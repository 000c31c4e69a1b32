package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/leakguard/leakguard/store"
)

// benchHash is a deterministic token hash for benchmarks.
func benchHash(i int) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

// BenchmarkTokenByHash measures the verify path's database look-up (a cache
// miss), in parallel.
func BenchmarkTokenByHash(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	const n = 1000
	for i := 0; i < n; i++ {
		tok := &store.Token{ID: fmt.Sprintf("tok_%06d", i), Hash: benchHash(i), Type: "user", Owner: "o", Valid: true}
		if err := s.CreateToken(ctx, tok, store.Event{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.TokenByHash(ctx, benchHash(i%n)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkRevoke measures a durable revocation (synchronous=FULL commit).
func BenchmarkRevoke(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		tok := &store.Token{ID: fmt.Sprintf("tok_%09d", i), Hash: benchHash(i), Type: "user", Owner: "o", Valid: true}
		if err := s.CreateToken(ctx, tok, store.Event{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Revoke(ctx, store.RevokeRequest{ID: fmt.Sprintf("tok_%09d", i), Reason: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}
