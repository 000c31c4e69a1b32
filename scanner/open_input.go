package scanner

import (
	"context"
	"io"
)

// OpenInput opens a file named by the user for one sequential read, the
// way ScanPaths opens its arguments: a regular file, a named pipe (FIFO),
// a pipe reached as /dev/fd/N, or a device. On Unix, opening a FIFO does
// not block (its reads wait for a writer instead), and a read waiting on a
// pipe, FIFO, socket or terminal returns ctx's error as soon as ctx is
// cancelled.
func OpenInput(ctx context.Context, path string) (io.ReadCloser, error) {
	return openFile(ctx, path)
}
