//go:build linux

package scanner

import (
	"context"
	"io"
	"io/fs"
	"syscall"
	"unsafe"
)

// Files found inside a tree are read with raw system calls. A directory
// scan is little more than open, read and close per file, and the Go
// runtime's syscall bookkeeping (entersyscall/exitsyscall) lets sysmon
// retake the P of a goroutine that is "in a syscall" across two of its
// 20 µs ticks and hand it to another thread: with GOMAXPROCS=1 (one core)
// that meant ~20k nanosleeps, ~2k futex wake-ups and as many context
// switches per 11k-file scan. RawSyscall leaves the P running; the calls
// are short (page-cache reads of regular files), and sysmon can still
// preempt the goroutine between them. Arguments, which may be FIFOs or
// devices that block, go through openFile and ordinary system calls.

// atFDCWD is AT_FDCWD (-100): a path relative to the working directory.
const atFDCWD = -100

// treeFile reads a regular file found by the tree walk.
//
// A read that returns fewer bytes than asked is taken as the end of the
// file, which saves the read(2) that would return 0: on a local
// filesystem (ext4, xfs, btrfs, tmpfs, overlayfs, NFS, FUSE without
// direct_io) a read of a regular file returns less than asked only at the
// end of the file, because the page-cache read path copies everything
// available and signals do not interrupt it (only fatal ones, which end
// the process). A file growing while it is read may lose its tail, as it
// may with any reader. Pseudo-filesystems whose "regular" files produce
// records one read at a time (procfs, sysfs) would be cut short: they are
// not source trees, and a path named as an argument is read to a 0-byte
// read whatever it is.
type treeFile struct {
	fd   int
	path string
	eof  bool
}

// openTreeFile opens path (a regular file found by the walk) for reading.
// Reads of a regular file do not wait on anyone: ctx is not needed.
func openTreeFile(_ context.Context, path string) (io.ReadCloser, error) {
	name, err := syscall.BytePtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	fd, err := openat(atFDCWD, name, syscall.O_NOFOLLOW)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &treeFile{fd: fd, path: path}, nil
}

// openat opens name (NUL-terminated) relative to dirfd, read-only and
// close-on-exec, with extra flags.
func openat(dirfd int, name *byte, flags int) (int, error) {
	for {
		fd, _, errno := syscall.RawSyscall6(syscall.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
			uintptr(syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_LARGEFILE|flags), 0, 0, 0)
		switch errno {
		case 0:
			return int(fd), nil
		case syscall.EINTR:
			continue
		}
		return -1, errno
	}
}

// rawRead is read(2) without the runtime's syscall bookkeeping.
func rawRead(fd int, p []byte) (int, error) {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch errno {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, errno
	}
}

// rawClose is close(2) without the runtime's syscall bookkeeping.
func rawClose(fd int) error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0); errno != 0 {
		return errno
	}
	return nil
}

func (r *treeFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.eof {
		return 0, io.EOF
	}
	n, err := rawRead(r.fd, p)
	switch {
	case err != nil:
		return 0, &fs.PathError{Op: "read", Path: r.path, Err: err}
	case n == 0:
		r.eof = true
		return 0, io.EOF
	case n < len(p):
		r.eof = true // see treeFile: a short read is the end of the file
	}
	return n, nil
}

func (r *treeFile) Close() error {
	if err := rawClose(r.fd); err != nil {
		return &fs.PathError{Op: "close", Path: r.path, Err: err}
	}
	return nil
}
