package webhook

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
)

// batchChunkSize is the size of the pooled chunks a partner batch body is
// read into.
const batchChunkSize = 32 << 10

// batchChunks pools the chunks. A chunk goes back to the pool only when
// its batch is done with it.
var batchChunks = sync.Pool{New: func() any { return new([batchChunkSize]byte) }}

// errBatchTooLarge stops a read at the batch cap.
var errBatchTooLarge = errors.New("batch over the size cap")

// chunkBytes is the memory that n body bytes take in whole chunks.
func chunkBytes(n int64) int64 {
	return (n + batchChunkSize - 1) / batchChunkSize * batchChunkSize
}

// batchBuffer holds a partner batch body in pooled fixed-size chunks, so
// that reading it never grows and copies a slice (io.ReadAll doubles its
// buffer, leaving about twice the body as garbage per request) and its
// memory goes back to the pool for the next request. The zero value is
// empty; release returns the chunks.
type batchBuffer struct {
	chunks []*[batchChunkSize]byte
	n      int64
}

// readFrom reads r to its end, at most limit bytes (one more is
// errBatchTooLarge). Before taking a chunk it calls reserve with the bytes
// the buffer's chunks will then hold; false stops the read with ErrBusy.
// The first chunk is reserved before the first byte is read, so a request
// refused for lack of budget has read nothing; later ones after a one-byte
// probe, so a body that ends on a chunk boundary takes no extra chunk.
func (b *batchBuffer) readFrom(r io.Reader, limit int64, reserve func(int64) bool) error {
	for {
		if b.n == limit || b.n == b.capacity() {
			if len(b.chunks) == 0 && limit > 0 && !reserve(batchChunkSize) {
				return ErrBusy
			}
			c, err := readByte(r)
			switch {
			case err == io.EOF:
				return nil
			case err != nil:
				return err
			case b.n == limit:
				return errBatchTooLarge
			case !reserve(b.capacity() + batchChunkSize):
				return ErrBusy
			}
			chunk := batchChunks.Get().(*[batchChunkSize]byte)
			chunk[0] = c
			b.chunks = append(b.chunks, chunk)
			b.n++
			continue
		}
		chunk := b.chunks[len(b.chunks)-1]
		off := int(b.n % batchChunkSize)
		end := min(batchChunkSize, off+int(min(limit-b.n, batchChunkSize)))
		n, err := r.Read(chunk[off:end])
		b.n += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readByte reads one byte, or returns r's error (io.EOF at its end).
func readByte(r io.Reader) (byte, error) {
	var one [1]byte
	if _, err := io.ReadFull(r, one[:]); err != nil {
		return 0, err
	}
	return one[0], nil
}

// capacity is the bytes the buffer's chunks hold.
func (b *batchBuffer) capacity() int64 { return int64(len(b.chunks)) * batchChunkSize }

// len is the body's length.
func (b *batchBuffer) len() int64 { return b.n }

// segments calls f with the body's bytes in order, chunk by chunk.
func (b *batchBuffer) segments(f func([]byte)) {
	left := b.n
	for _, c := range b.chunks {
		n := min(left, batchChunkSize)
		f(c[:n])
		left -= n
	}
}

// verify reports whether der is key's ECDSA signature of SHA-256 of the
// body, as github.VerifyPartnerSignature does for a contiguous body.
func (b *batchBuffer) verify(key *ecdsa.PublicKey, der []byte) bool {
	h := sha256.New()
	b.segments(func(p []byte) { h.Write(p) })
	return ecdsa.VerifyASN1(key, h.Sum(nil), der)
}

// bytes returns the body as one slice: the chunk itself when the body fits
// in one (valid until release), else a copy.
func (b *batchBuffer) bytes() []byte {
	if len(b.chunks) == 1 {
		return b.chunks[0][:b.n]
	}
	out := make([]byte, 0, b.n)
	b.segments(func(p []byte) { out = append(out, p...) })
	return out
}

// release returns the chunks to the pool and empties the buffer. It may be
// called more than once.
func (b *batchBuffer) release() {
	for i, c := range b.chunks {
		batchChunks.Put(c)
		b.chunks[i] = nil
	}
	b.chunks, b.n = b.chunks[:0], 0
}
