package gitsource

import (
	"sync"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the platforms Linux
// backs anonymous memory with them.
const hugePage = 2 << 20

// madvHugepage is MADV_HUGEPAGE, which package syscall does not name.
const madvHugepage = 14

// arena hands out the pack walk's blob buffers from one anonymous mapping
// that the kernel may back with transparent huge pages (MADV_HUGEPAGE:
// most systems enable them only where asked). A walk writes hundreds of MB
// through a few hundred MB of buffers, and a virtual machine charges a
// page fault per 4 KiB page first touched; on one huge page it charges one
// (benchmarks/README.md, "page faults"). The mapping is reserved, not
// committed (MAP_NORESERVE): only pages touched cost memory. Buffers are
// never given back one by one; the free list in buffers reuses them, and
// release unmaps the whole at the end of the walk, when no buffer is in
// use.
type arena struct {
	mu   sync.Mutex
	all  []byte // the mapping
	mem  []byte // its part aligned to hugePage
	used int
}

// newArena reserves size bytes (rounded up to huge pages), or returns nil
// when the system will not map them; callers then allocate on the heap.
func newArena(size int64) *arena {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	size = (size + hugePage - 1) &^ (hugePage - 1)
	all, err := syscall.Mmap(-1, 0, int(size)+hugePage, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	off := 0
	if r := int(uintptr(unsafe.Pointer(unsafe.SliceData(all))) & (hugePage - 1)); r != 0 {
		off = hugePage - r
	}
	mem := all[off : off+int(size) : off+int(size)]
	_ = syscall.Madvise(mem, madvHugepage) // a hint: without it, small pages
	return &arena{all: all, mem: mem}
}

// alloc returns an empty slice of capacity n from the arena, or nil when
// the arena (or a nil arena) has no room left.
func (a *arena) alloc(n int) []byte {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if n > len(a.mem)-a.used {
		return nil
	}
	b := a.mem[a.used : a.used : a.used+n]
	a.used += n
	return b
}

// release unmaps the arena. Nothing it handed out may be used after.
func (a *arena) release() {
	if a != nil {
		_ = syscall.Munmap(a.all)
		a.all, a.mem = nil, nil
	}
}
