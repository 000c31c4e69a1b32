// Package logbuf batches log lines into few writes: a zerolog.LevelWriter
// that holds lines for at most an interval and writes warnings and worse at
// once, together with everything before them. It knows nothing of the
// project.
package logbuf

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Defaults for a server's log: what New is usually given.
const (
	DefaultSize     = 64 << 10               // bytes held before a flush
	DefaultInterval = 150 * time.Millisecond // longest a line waits
)

// Buffer is a zerolog.LevelWriter that batches log lines into one write
// instead of one write(2) per line (a server logs a line per request). Lines
// wait at most the flush interval; warn, error, fatal and panic lines are
// written before WriteLevel returns, together with everything before them.
// Close flushes and stops the background flusher; lines written after Close
// go straight to the output. A failed write drops the batch; the first
// failure is reported once on errOut and returned by Close. It is safe for
// concurrent use.
type Buffer struct {
	out    io.Writer
	errOut io.Writer
	size   int

	mu     sync.Mutex // guards buf, closed
	buf    []byte
	closed bool

	flushMu sync.Mutex // serializes writes to out; guards spare, err
	spare   []byte
	err     error

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// New returns a Buffer writing to out, flushing when size bytes
// are held and every interval. Write errors are reported on errOut.
func New(out, errOut io.Writer, size int, interval time.Duration) *Buffer {
	b := &Buffer{
		out: out, errOut: errOut, size: size,
		buf: make([]byte, 0, size), spare: make([]byte, 0, size),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go b.run(interval)
	return b
}

// run flushes every interval until Close.
func (b *Buffer) run(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}

// Write buffers p as a line without a level.
func (b *Buffer) Write(p []byte) (int, error) {
	return b.WriteLevel(zerolog.NoLevel, p)
}

// WriteLevel buffers p, and flushes when the buffer is full or the line is
// a warning or worse. Write failures are reported by Close and on errOut,
// not here: the line was accepted.
func (b *Buffer) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.flushMu.Lock()
		defer b.flushMu.Unlock()
		_ = b.write(p)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= b.size
	b.mu.Unlock()
	if full || urgent(l) {
		_ = b.Flush()
	}
	return len(p), nil
}

// urgent reports whether lines of level l are written at once.
func urgent(l zerolog.Level) bool {
	switch l {
	case zerolog.WarnLevel, zerolog.ErrorLevel, zerolog.FatalLevel, zerolog.PanicLevel:
		return true
	}
	return false
}

// Flush writes the buffered lines and returns the write's error, if any.
func (b *Buffer) Flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	return b.flushLocked(false)
}

// flushLocked swaps the buffers and writes the full one; flushMu is held.
// Writers keep appending to the other buffer during the write. With
// closing, later writers write directly instead.
func (b *Buffer) flushLocked(closing bool) error {
	b.mu.Lock()
	data := b.buf
	b.buf = b.spare[:0]
	b.closed = b.closed || closing
	b.mu.Unlock()
	err := b.write(data)
	if cap(data) > 4*b.size {
		data = make([]byte, 0, b.size) // do not keep a buffer grown by a huge line
	}
	b.spare = data[:0]
	return err
}

// write writes p to out, reporting the first failure; flushMu is held.
func (b *Buffer) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	_, err := b.out.Write(p)
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("log output: %w", err)
		fmt.Fprintf(b.errOut, "leakguard: writing the log failed, %d bytes of log lines lost (later failures are not reported): %v\n", len(p), err)
	}
	return err
}

// Close stops the background flusher and writes what is buffered. Later
// lines are written directly. It returns the first write error the buffer
// met; calls after the first return the same.
func (b *Buffer) Close() error {
	b.closeOnce.Do(func() {
		close(b.stop)
		<-b.done
		b.flushMu.Lock()
		defer b.flushMu.Unlock()
		_ = b.flushLocked(true)
	})
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	return b.err
}
