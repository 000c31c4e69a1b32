//go:build unix

package scanner

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openFile opens a path given as an argument for one sequential read.
//
// The path may be anything: a regular file, a named pipe (FIFO), a pipe
// reached through /dev/fd/N (what a shell's `<(cmd)` passes), a terminal
// or another device. It is opened with O_NONBLOCK, so that open(2) of a
// FIFO does not wait for a writer, and then:
//   - a regular file (or block device) gets its blocking mode back and is
//     read with plain read(2): os.Open would also register the descriptor
//     with the runtime's poller and switch its blocking mode, several extra
//     system calls per file that dominate a tree of small files;
//   - a FIFO, socket or character device is read through the runtime's
//     poller, which waits for data without holding a thread and gives up
//     as soon as ctx is cancelled. A FIFO that no writer has opened yet is
//     waited on, as cat would wait: its content is what the first writer
//     sends until it closes.
func openFile(ctx context.Context, path string) (io.ReadCloser, error) {
	fd, err := openNonblock(path)
	if err != nil {
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFIFO, syscall.S_IFSOCK, syscall.S_IFCHR:
		return openStream(ctx, fd, path, st.Mode&syscall.S_IFMT == syscall.S_IFIFO)
	}
	// F_SETFL 0 clears O_NONBLOCK, the only status flag set at open.
	if _, err := unix.FcntlInt(uintptr(fd), syscall.F_SETFL, 0); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return &fdReader{fd: fd, path: path}, nil
}

// openNonblock opens path read-only, close-on-exec and non-blocking.
func openNonblock(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// fdReader reads a file descriptor with blocking read(2).
type fdReader struct {
	fd   int
	path string
}

func (r *fdReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(r.fd, p)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: r.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (r *fdReader) Close() error { return syscall.Close(r.fd) }

// streamReader reads a pipe, FIFO, socket or device through the runtime's
// poller; cancelling ctx makes a waiting Read return ctx's error.
type streamReader struct {
	ctx  context.Context
	f    *os.File
	stop func() bool
}

// longAgo is a read deadline in the past: it wakes every waiting Read.
var longAgo = time.Unix(1, 0)

// openStream wraps the non-blocking descriptor fd of a stream; for a
// named FIFO (fifo set) it first waits for a writer.
func openStream(ctx context.Context, fd int, path string, fifo bool) (io.ReadCloser, error) {
	f := os.NewFile(uintptr(fd), path)
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		// Not pollable (a device without poll support): read it
		// blocking, as before; a read that never returns is ended by
		// the process's own signal handling.
		if err := unix.SetNonblock(fd, false); err != nil {
			f.Close()
			return nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
		}
		return f, nil
	}
	r := &streamReader{ctx: ctx, f: f}
	r.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(longAgo) })
	if fifo {
		if err := r.awaitWriter(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// awaitWriter waits until the FIFO has data or its writer has come and
// gone. Until a writer opens it, read(2) on a non-blocking FIFO returns 0,
// which is indistinguishable from the end of the data. poll(2) tells them
// apart on Linux and FreeBSD, which report no hang-up to a reader that has
// not seen a writer yet: nothing until then, and POLLIN or POLLHUP once
// there is something to read or the writer has closed. A system that
// reports the hang-up at once makes such a FIFO read as empty, never hang.
func (r *streamReader) awaitWriter() error {
	rc, err := r.f.SyscallConn()
	if err != nil {
		return &fs.PathError{Op: "read", Path: r.f.Name(), Err: err}
	}
	err = rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		return err != nil && err != unix.EINTR || n > 0
	})
	return r.readErr(err)
}

func (r *streamReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF {
		err = r.readErr(err)
	}
	return n, err
}

// readErr is ctx's error when a read stopped because ctx was cancelled.
func (r *streamReader) readErr(err error) error {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	return err
}

func (r *streamReader) Close() error {
	r.stop()
	return r.f.Close()
}
