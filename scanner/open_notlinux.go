//go:build !linux

package scanner

import (
	"context"
	"io"
)

// openTreeFile opens a regular file found by the tree walk; only Linux has
// a faster path (open_linux.go). A file replaced by a FIFO since it was
// listed is opened without blocking, as an argument is.
func openTreeFile(ctx context.Context, path string) (io.ReadCloser, error) {
	return openFile(ctx, path)
}
