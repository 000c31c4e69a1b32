//go:build unix

package scanner

import "syscall"

// mkfifo creates a named pipe, which a tree walk must skip, not read.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
