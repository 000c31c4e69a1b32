package budget

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestTryAcquire(t *testing.T) {
	t.Parallel()
	b := New(100)
	tests := []struct {
		name string
		n    int64
		want bool
	}{
		{"fits", 60, true},
		{"over what is left", 41, false},
		{"exactly what is left", 40, true},
		{"nothing left", 1, false},
	}
	for _, tt := range tests {
		if got := b.TryAcquire(tt.n); got != tt.want {
			t.Errorf("%s: TryAcquire(%d) = %v, want %v", tt.name, tt.n, got, tt.want)
		}
	}
	if got, want := b.InUse(), int64(100); got != want {
		t.Fatalf("in use %d, want %d", got, want)
	}
	b.Release(100)
	if b.TryAcquire(101) {
		t.Error("TryAcquire admitted an item over the whole budget")
	}
	if got, want := b.InUse(), int64(0); got != want {
		t.Fatalf("in use %d after release, want %d", got, want)
	}
}

func TestAcquireWaitsForRelease(t *testing.T) {
	t.Parallel()
	b := New(100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 80); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Acquire(ctx, 30) }()
	select {
	case err := <-done:
		t.Fatalf("Acquire returned %v while the budget was full", err)
	case <-time.After(20 * time.Millisecond):
	}
	b.Release(80)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := b.InUse(), int64(30); got != want {
		t.Fatalf("in use %d, want %d", got, want)
	}
}

func TestAcquireOversizedRunsAlone(t *testing.T) {
	t.Parallel()
	b := New(100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 500); err != nil {
		t.Fatalf("oversized item on an idle budget: %v", err)
	}
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Acquire(ctx2, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire beside an oversized item = %v, want it to wait until ctx ends", err)
	}
	b.Release(500)
	if got, want := b.InUse(), int64(0); got != want {
		t.Fatalf("in use %d, want %d (a cancelled Acquire reserves nothing)", got, want)
	}
}

func TestAcquireCancelled(t *testing.T) {
	t.Parallel()
	b := New(10)
	if !b.TryAcquire(10) {
		t.Fatal("TryAcquire on an idle budget failed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Acquire(ctx, 5) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire after cancel = %v, want context.Canceled", err)
	}
	if got, want := b.InUse(), int64(10); got != want {
		t.Fatalf("in use %d, want %d", got, want)
	}
}
