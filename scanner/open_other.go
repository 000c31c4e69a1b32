//go:build !unix

package scanner

import (
	"io"
	"os"
)

// openFile opens a file for one sequential read.
func openFile(path string) (io.ReadCloser, error) { return os.Open(path) }
