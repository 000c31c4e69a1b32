package gitsource

import "sync"

// Blob buffer size classes: 64 KiB, 256 KiB, 1 MiB, 4 MiB, 16 MiB.
const (
	minBufferShift = 16
	bufferClasses  = 5
)

// buffers pools the buffers blobs are read into, by size class, so that
// a buffer holding a blob is at most four times its size (or 64 KiB).
// The memory budget counts the blobs in flight, not the buffers holding
// them; with a single pool, a batch of small blobs could sit in buffers
// grown by earlier large ones and hold many times the budget.
type buffers struct {
	classes [bufferClasses]sync.Pool
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
	if buf, ok := b.classes[c].Get().(*[]byte); ok {
		return buf
	}
	buf := make([]byte, 0, 1<<(minBufferShift+2*c))
	return &buf
}

// put returns a buffer to the pool of its class.
func (b *buffers) put(buf *[]byte) {
	c := bufferClass(int64(cap(*buf)))
	if c < 0 || cap(*buf) != 1<<(minBufferShift+2*c) {
		return // not one of ours (grown by ReadBody): let it go
	}
	*buf = (*buf)[:0]
	b.classes[c].Put(buf)
}
