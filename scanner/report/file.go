package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/leakguard/leakguard/scanner"
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

// Emit writes findings in format to path, atomically (WriteFile), or to
// w when path is "". Options.Color applies to w only: a file never gets
// colour.
func Emit(w io.Writer, path, format string, findings []scanner.Finding, o Options) error {
	if path != "" {
		o.Color = false
		return WriteFile(path, func(f io.Writer) error { return Write(f, format, findings, o) })
	}
	if err := Write(w, format, findings, o); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
