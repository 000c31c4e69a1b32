package gitsource

import (
	"os"
	"syscall"
)

// fSetPipeSize is fcntl's F_SETPIPE_SZ (Linux, every architecture).
const fSetPipeSize = 1031

// pipeSize is the buffer asked for the pipes of a history scan: 1 MiB
// (fs.pipe-max-size's default, the most an unprivileged process may ask)
// instead of 64 KiB, so that cat-file seldom waits on a full pipe while
// the reader hands blobs to the scanners, and each read takes more (about
// half the context switches on the benchmark history, benchmarks/README.md).
const pipeSize = 1 << 20

// growPipe enlarges the kernel buffer of a pipe from exec.Cmd's
// StdinPipe or StdoutPipe. It is best effort: a pipe it cannot grow keeps
// its size.
func growPipe(p any) {
	f, ok := p.(*os.File)
	if !ok {
		return
	}
	c, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = c.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSize, pipeSize)
	})
}
