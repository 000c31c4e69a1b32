// Package term answers what a command needs to know of its standard
// streams: whether one is a terminal (colour, progress lines), whether
// standard input may be read as input, and a writer safe for concurrent
// reporters. It knows nothing of the project.
package term

import (
	"io"
	"os"
	"sync"

	"github.com/mattn/go-isatty"
)

// Is reports whether w is a terminal.
func Is(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// StdinUsable reports whether in may be read as input: a pipe or a file,
// not a terminal (or /dev/null, a character device), and not absent.
func StdinUsable(in io.Reader) bool {
	if in == nil {
		return false
	}
	f, ok := in.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice == 0
}

// Locked serialises writes to W (an *os.File needs none; a buffer does).
type Locked struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *Locked) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
