package gitsource

import "sync"

// Blob buffer size classes: 4 KiB, 16 KiB, ..., 4 MiB, 16 MiB.
const (
	minBufferShift = 12
	bufferClasses  = 7
)

// defaultKeep is how many bytes of free buffers a zero buffers keeps.
const defaultKeep = 64 << 20

// buffers keeps the buffers blobs are read into, by size class, so that
// a buffer holding a blob is at most four times its size (or 4 KiB).
// The memory budget counts the blobs in flight, not the buffers holding
// them; with a single class, a batch of small blobs could sit in buffers
// grown by earlier large ones and hold many times the budget.
//
// Free buffers are kept across garbage collections, up to keep bytes (a
// sync.Pool drops them at each one): a history scan reads hundreds of
// MB through a few MB of buffers, and a fresh large buffer costs zeroing
// and page faults, about a tenth of a pack walk's CPU
// (benchmarks/README.md). The free buffers are never more than the most
// the scan held at once, and they go with the scan. With an arena (the
// pack walk's), new buffers come from it while it has room, and every
// buffer is kept: the arena's memory goes back only as a whole.
type buffers struct {
	mu   sync.Mutex
	free [bufferClasses][]*[]byte
	held int64 // bytes in free
	keep int64 // most bytes kept free without an arena (0 = defaultKeep)
	mem  *arena
}

// class is the size class of a blob of size bytes (-1: none, too large).
func bufferClass(size int64) int {
	for c := range bufferClasses {
		if size <= 1<<(minBufferShift+2*c) {
			return c
		}
	}
	return -1
}

// get returns an empty buffer with room for size bytes when a class has
// it (larger blobs get a buffer of their own from ReadBody).
func (b *buffers) get(size int64) *[]byte {
	c := bufferClass(size)
	if c < 0 {
		return new([]byte)
	}
	b.mu.Lock()
	if n := len(b.free[c]); n > 0 {
		buf := b.free[c][n-1]
		b.free[c][n-1] = nil
		b.free[c] = b.free[c][:n-1]
		b.held -= int64(cap(*buf))
		b.mu.Unlock()
		return buf
	}
	b.mu.Unlock()
	if m := b.mem.alloc(1 << (minBufferShift + 2*c)); m != nil {
		return &m
	}
	buf := make([]byte, 0, 1<<(minBufferShift+2*c))
	return &buf
}

// put returns a buffer to its class, or lets it go when it is not one of
// the classes' (grown by ReadBody) or, without an arena, keep bytes are
// already free.
func (b *buffers) put(buf *[]byte) {
	c := bufferClass(int64(cap(*buf)))
	if c < 0 || cap(*buf) != 1<<(minBufferShift+2*c) {
		return
	}
	*buf = (*buf)[:0]
	keep := b.keep
	if keep <= 0 {
		keep = defaultKeep
	}
	b.mu.Lock()
	if b.mem != nil || b.held+int64(cap(*buf)) <= keep {
		b.free[c] = append(b.free[c], buf)
		b.held += int64(cap(*buf))
	}
	b.mu.Unlock()
}
