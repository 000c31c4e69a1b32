//go:build unix

package dirlock

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// Lock takes an exclusive lock on dir until release (or process exit). A
// directory another holder has is a *HeldError at once; Lock never waits.
// flock locks belong to an open file, so a second Lock in the same process
// is turned away too.
func Lock(dir string) (release func(), err error) {
	path := lockFile(dir)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := holder(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Dir: dir, PID: pid}
		}
		return nil, err
	}
	// Record the holder for HeldError; the lock, not the content, is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	// Unlock before closing: a child process forked by another goroutine
	// holds a copy of the descriptor until it execs (CLOEXEC closes it
	// only then), and a lock is dropped on close only once every copy is
	// closed. LOCK_UN drops it at once.
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
