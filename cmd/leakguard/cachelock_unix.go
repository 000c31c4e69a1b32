//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockCacheDir takes an exclusive lock on dir (a file ".lock" in it, held
// with flock until release or process exit), so that two processes never
// update the same bare mirrors and checkpoints at once. A second process
// gets a clear error naming the holder's PID instead.
func lockCacheDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another leakguard process"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(holder))); perr == nil {
				who = fmt.Sprintf("leakguard process %d", pid)
			}
			return nil, fmt.Errorf("cache directory %s is in use by %s (github scan or worker); give each process its own --cache-dir", dir, who)
		}
		return nil, fmt.Errorf("cache directory lock: %w", err)
	}
	// Record the holder for the message above; the lock, not the content, is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { _ = f.Close() }, nil
}
