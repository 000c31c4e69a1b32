// Package dirlock holds a directory for one process at a time: an
// exclusive flock on a ".lock" file in it, which also records the holder's
// PID so that the process turned away can say who holds it. The lock, not
// the file's content, is what counts; it ends on release or when the
// process exits. It knows nothing of the project.
package dirlock

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// HeldError is Lock's error when another holder has the directory.
type HeldError struct {
	Dir string
	PID int // the holder's process id; 0 when unknown
}

// Error says who holds the directory: "in use by leakguard process 123".
func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("in use by leakguard process %d", e.PID)
	}
	return "in use by another leakguard process"
}

// lockFile is the lock file in dir.
func lockFile(dir string) string { return filepath.Join(dir, ".lock") }

// holder is the PID recorded in the lock file at path, or 0.
func holder(path string) int {
	b, _ := os.ReadFile(path)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}
