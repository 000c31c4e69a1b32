//go:build !unix

package gitpack

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads f's first size bytes into memory (no mmap here).
func mapFile(f *os.File, size int64) (data []byte, unmap func() error, err error) {
	data = make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("gitpack: read %s: %w", f.Name(), err)
	}
	return data, func() error { return nil }, nil
}
