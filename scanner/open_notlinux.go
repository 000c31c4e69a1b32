//go:build !linux

package scanner

import "io"

// openTreeFile opens a regular file found by the tree walk; only Linux has
// a faster path (open_linux.go).
func openTreeFile(path string) (io.ReadCloser, error) { return openFile(path) }
