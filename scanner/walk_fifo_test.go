//go:build unix

package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
)

// scanAsync runs ScanPaths in a goroutine and returns a channel that
// delivers its error and the findings' lines.
func scanAsync(ctx context.Context, paths []string, workers int) <-chan walkOutcome {
	out := make(chan walkOutcome, 1)
	go func() {
		var o walkOutcome
		o.err = New(patterns.Default()).ScanPaths(ctx, paths, WalkOptions{Workers: workers}, func(f Finding) error {
			o.lines = append(o.lines, fmt.Sprintf("%s:%d:%d %s", f.Path, f.Line, f.Column, f.Rule))
			return nil
		})
		out <- o
	}()
	return out
}

type walkOutcome struct {
	lines []string
	err   error
}

// await waits for a scan's outcome; a scan still blocked after 5 s fails
// the test, after unblock (if set) has been called to release it.
func await(t *testing.T, ch <-chan walkOutcome, unblock func()) walkOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(5 * time.Second):
		if unblock != nil {
			unblock()
		}
		t.Fatal("scan still blocked 5 s after it was cancelled")
		return walkOutcome{}
	}
}

// releaseFIFO unblocks a reader stuck opening or reading the FIFO at p by
// connecting a writer and closing it at once.
func releaseFIFO(p string) func() {
	return func() {
		if fd, err := syscall.Open(p, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			syscall.Close(fd)
		}
	}
}

// TestWalkFIFOArgument: a named pipe given as an argument is read once a
// writer connects (as cat or grep would), and a scan waiting for a writer
// that never comes, or for the rest of a stream that never ends, stops as
// soon as its context is cancelled.
func TestWalkFIFOArgument(t *testing.T) {
	t.Parallel()
	own := token(t, "leakguard-user", body30)
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("writer arrives later/workers=%d", workers), func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "fifo")
			if err := mkfifo(p); err != nil {
				t.Fatal(err)
			}
			ch := scanAsync(context.Background(), []string{p}, workers)
			time.Sleep(50 * time.Millisecond) // let the scan reach the FIFO first
			w, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteString("x\n  " + own + "\n"); err != nil {
				t.Fatal(err)
			}
			w.Close()
			o := await(t, ch, releaseFIFO(p))
			if o.err != nil || len(o.lines) != 1 || o.lines[0] != p+":2:3 leakguard-user" {
				t.Errorf("got %q, %v; want one finding at %s:2:3", o.lines, o.err, p)
			}
		})
		t.Run(fmt.Sprintf("writer sends nothing/workers=%d", workers), func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "fifo")
			if err := mkfifo(p); err != nil {
				t.Fatal(err)
			}
			ch := scanAsync(context.Background(), []string{p}, workers)
			time.Sleep(50 * time.Millisecond)
			w, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
			if o := await(t, ch, releaseFIFO(p)); o.err != nil || len(o.lines) != 0 {
				t.Errorf("got %q, %v; want an empty input", o.lines, o.err)
			}
		})
		t.Run(fmt.Sprintf("no writer, cancelled/workers=%d", workers), func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "fifo")
			if err := mkfifo(p); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ch := scanAsync(ctx, []string{p}, workers)
			time.Sleep(50 * time.Millisecond)
			cancel()
			if o := await(t, ch, releaseFIFO(p)); !errors.Is(o.err, context.Canceled) {
				t.Errorf("err %v, want context.Canceled", o.err)
			}
		})
		t.Run(fmt.Sprintf("writer never closes, cancelled/workers=%d", workers), func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "fifo")
			if err := mkfifo(p); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ch := scanAsync(ctx, []string{p}, workers)
			w, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if _, err := w.WriteString(own + "\n"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			cancel()
			if o := await(t, ch, func() { w.Close() }); !errors.Is(o.err, context.Canceled) {
				t.Errorf("err %v, want context.Canceled", o.err)
			}
		})
	}
}

// TestWalkPipeArgument: a pipe named by its /dev/fd path, as a shell's
// process substitution `leakguard scan <(cmd)` passes it, is read to its
// end.
func TestWalkPipeArgument(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/fd/0"); err != nil {
		t.Skip("no /dev/fd")
	}
	own := token(t, "leakguard-user", body30)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := fmt.Sprintf("/dev/fd/%d", r.Fd())
	ch := scanAsync(context.Background(), []string{p}, 1)
	if _, err := w.WriteString(own); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if o := await(t, ch, nil); o.err != nil || len(o.lines) != 1 || o.lines[0] != p+":1:1 leakguard-user" {
		t.Errorf("got %q, %v; want one finding in %s", o.lines, o.err, p)
	}
}
