package gitsource

import (
	"runtime"
	"testing"
	"unsafe"
)

func TestBufferClasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size    int64
		wantCap int // 0: no pooled class
	}{
		{0, 4 << 10},
		{1, 4 << 10},
		{4<<10 + 1, 16 << 10},
		{20 << 10, 64 << 10},
		{64 << 10, 64 << 10},
		{64<<10 + 1, 256 << 10},
		{1 << 20, 1 << 20},
		{3 << 20, 4 << 20},
		{16 << 20, 16 << 20},
		{16<<20 + 1, 0},
	} {
		var b buffers
		buf := b.get(tc.size)
		if got := cap(*buf); got != tc.wantCap || len(*buf) != 0 {
			t.Errorf("get(%d): len %d cap %d, want an empty buffer of cap %d", tc.size, len(*buf), got, tc.wantCap)
		}
	}
}

// TestBuffersReuse: a buffer comes back to its class; one grown elsewhere
// (or too large) is not kept, so no class holds a buffer of another size.
func TestBuffersReuse(t *testing.T) {
	t.Parallel()
	var b buffers
	grown := make([]byte, 0, 300<<10)
	b.put(&grown)
	huge := make([]byte, 0, 32<<20)
	b.put(&huge)
	for range 3 {
		buf := b.get(100 << 10)
		if cap(*buf) != 256<<10 {
			t.Fatalf("get(100 KiB) after foreign puts: cap %d, want 256 KiB", cap(*buf))
		}
		*buf = append(*buf, "data"...)
		b.put(buf)
	}
}

// TestBuffersKeep: free buffers outlive garbage collections (a sync.Pool's
// would not), up to keep bytes.
func TestBuffersKeep(t *testing.T) {
	t.Parallel()
	b := buffers{keep: 64 << 10}
	a, c := b.get(64<<10), b.get(64<<10)
	b.put(a)
	b.put(c) // over keep: let go
	runtime.GC()
	runtime.GC()
	if got := b.get(1000 << 0); cap(*got) != 4<<10 {
		t.Fatalf("cap %d", cap(*got))
	}
	if got := b.get(64 << 10); unsafe.SliceData(*got) != unsafe.SliceData(*a) {
		t.Fatal("the kept buffer did not survive garbage collection")
	}
	if b.held != 0 {
		t.Fatalf("%d bytes still counted free", b.held)
	}
}
