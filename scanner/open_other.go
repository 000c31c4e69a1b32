//go:build !unix

package scanner

import (
	"context"
	"io"
	"os"
)

// openFile opens a file for one sequential read; ScanPaths checks ctx
// between reads.
func openFile(_ context.Context, path string) (io.ReadCloser, error) { return os.Open(path) }
