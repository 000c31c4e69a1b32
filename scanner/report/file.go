package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes the file at path (an --output report) with write,
// through a temporary file in the same directory and a rename, so readers
// never see a half-written report. On error the temporary file is removed
// and path is left as it was.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	return nil
}
