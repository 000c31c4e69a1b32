package gitsource

import (
	"testing"
	"unsafe"
)

// TestArena: buffers come out aligned to the mapping's huge pages, in
// order, writable, until the reserve runs out; then nil, and a nil arena
// hands out nothing.
func TestArena(t *testing.T) {
	t.Parallel()
	a := newArena(3 << 20) // rounded up to two huge pages
	if a == nil {
		t.Skip("no anonymous mapping here")
	}
	defer a.release()
	if p := uintptr(unsafe.Pointer(unsafe.SliceData(a.mem))); p%hugePage != 0 || len(a.mem) != 4<<20 {
		t.Fatalf("mapping at %#x, %d bytes; want huge-page aligned, 4 MiB", p, len(a.mem))
	}
	var got int
	for {
		b := a.alloc(1 << 20)
		if b == nil {
			break
		}
		if len(b) != 0 || cap(b) != 1<<20 {
			t.Fatalf("alloc: len %d cap %d", len(b), cap(b))
		}
		b = append(b, make([]byte, 1<<20)...) // writable, and stays in place
		b[len(b)-1] = 1
		got++
	}
	if got != 4 {
		t.Fatalf("%d buffers of 1 MiB from 4 MiB", got)
	}
	var none *arena
	if none.alloc(1) != nil {
		t.Fatal("a nil arena handed out memory")
	}
	none.release()
}

// TestBuffersArena: with an arena, buffers come from it and are all kept
// for reuse, whatever keep says.
func TestBuffersArena(t *testing.T) {
	t.Parallel()
	a := newArena(4 << 20)
	if a == nil {
		t.Skip("no anonymous mapping here")
	}
	defer a.release()
	b := buffers{mem: a, keep: 1}
	first := b.get(100 << 10)
	if cap(*first) != 256<<10 || a.used != 256<<10 {
		t.Fatalf("get(100 KiB): cap %d, arena used %d", cap(*first), a.used)
	}
	b.put(first)
	if again := b.get(200 << 10); unsafe.SliceData(*again) != unsafe.SliceData(*first) || a.used != 256<<10 {
		t.Fatal("a buffer from the arena was not reused")
	}
}
