package interrupt

import (
	"context"
	"io"
	"os"
	"sync"
)

// stdinChunk is the size of one read of a non-regular standard input.
const stdinChunk = 64 << 10

// Reader returns a reader of in (standard input) whose Read returns
// ctx's error as soon as ctx is cancelled, even while in is blocked in a
// read that may never return (a pipe whose writer never closes, a
// terminal), and a function that releases it once reading is over.
//
// Standard input is shared with the shell and every other holder of the
// same open file, so its status flags are left alone: O_NONBLOCK set on a
// terminal or a pipe would reach them all. A regular file never blocks and
// is read directly; anything else is read by a helper goroutine, one chunk
// ahead, while Read waits for its result or for ctx. A read still blocked
// when ctx ends stays blocked until the process exits, which is what
// follows: the command gives up and returns.
func Reader(ctx context.Context, in io.Reader) (io.Reader, func()) {
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return ctxReader{ctx: ctx, r: f}, func() {}
		}
	}
	a := &asyncReader{ctx: ctx, chunks: make(chan stdinRead, 1), free: make(chan []byte, 2), done: make(chan struct{})}
	a.free <- make([]byte, stdinChunk)
	a.free <- make([]byte, stdinChunk)
	go a.fill(in)
	var once sync.Once
	return a, func() { once.Do(func() { close(a.done) }) }
}

// ctxReader reads r until ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// stdinRead is one read of the helper goroutine: buf[:n] and its error.
type stdinRead struct {
	buf []byte
	n   int
	err error
}

// asyncReader hands the reads of a helper goroutine to Read. Two buffers
// circulate: one being read into, one being consumed.
type asyncReader struct {
	ctx    context.Context
	chunks chan stdinRead // filled buffers, in order
	free   chan []byte    // consumed buffers, back to the goroutine
	done   chan struct{}  // closed by the release function
	cur    stdinRead      // the buffer Read is consuming
	off    int            // how much of cur.buf[:cur.n] is consumed
}

// fill reads in until an error (io.EOF included) or release.
func (a *asyncReader) fill(in io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.done:
			return
		}
		n, err := in.Read(buf)
		select {
		case a.chunks <- stdinRead{buf: buf, n: n, err: err}:
		case <-a.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *asyncReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for a.off >= a.cur.n {
		if a.cur.err != nil {
			return 0, a.cur.err
		}
		if a.cur.buf != nil {
			a.free <- a.cur.buf // never blocks: there are two buffers and room for both
			a.cur = stdinRead{}
		}
		if err := a.ctx.Err(); err != nil {
			return 0, err
		}
		select {
		case a.cur = <-a.chunks:
			a.off = 0
		case <-a.ctx.Done():
			return 0, a.ctx.Err()
		}
	}
	n := copy(p, a.cur.buf[a.off:a.cur.n])
	a.off += n
	return n, nil
}
