//go:build !linux

package gitsource

// growPipe enlarges a pipe's buffer where the system allows it (Linux).
func growPipe(any) {}
