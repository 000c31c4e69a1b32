//go:build unix

package interrupt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	if got, want := ExitCode(syscall.SIGINT), ExitInterrupted; got != want {
		t.Errorf("ExitCode(SIGINT) = %d, want %d", got, want)
	}
	if got, want := ExitCode(syscall.SIGTERM), ExitTerminated; got != want {
		t.Errorf("ExitCode(SIGTERM) = %d, want %d", got, want)
	}
}

// TestReaderStopsOnCancel: a read of an input that never ends returns the
// context's error soon after the context is cancelled.
func TestReaderStopsOnCancel(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r, release := Reader(ctx, pr)
	defer release()
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(r)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read error %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still reading 5 s after cancellation")
	}
}

// TestReaderPassesData: every byte arrives, in order, through small reads.
func TestReaderPassesData(t *testing.T) {
	t.Parallel()
	want := strings.Repeat("0123456789abcdef", 20000) // several chunks
	for _, tt := range []struct {
		name string
		in   func(t *testing.T) io.Reader
	}{
		{"pipe", func(t *testing.T) io.Reader {
			pr, pw := io.Pipe()
			go func() {
				_, _ = io.WriteString(pw, want)
				pw.Close()
			}()
			return pr
		}},
		{"regular file", func(t *testing.T) io.Reader {
			f, err := os.CreateTemp(t.TempDir(), "in")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			if _, err := io.WriteString(f, want); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			return f
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, release := Reader(context.Background(), tt.in(t))
			defer release()
			var got bytes.Buffer
			buf := make([]byte, 1000)
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if got.String() != want {
				t.Errorf("read %d bytes, want %d, or out of order", got.Len(), len(want))
			}
		})
	}
}

// TestWatchSignals checks the signal watcher with channels standing in for
// the process's signals and exit.
func TestWatchSignals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		signals  []os.Signal
		finish   bool // the command returns after the first signal
		wantExit int  // -1: no exit
	}{
		{"grace runs out", []os.Signal{syscall.SIGTERM}, false, ExitTerminated},
		{"second signal", []os.Signal{syscall.SIGINT, syscall.SIGINT}, false, ExitInterrupted},
		{"command returns in time", []os.Signal{syscall.SIGTERM}, true, -1},
		{"no signal", nil, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sigs, got, done := make(chan os.Signal, 2), make(chan os.Signal, 1), make(chan struct{})
			exited, cancelled := make(chan int, 1), make(chan struct{})
			grace := 200 * time.Millisecond
			if len(tt.signals) > 1 || tt.finish {
				grace = time.Hour // only the second signal or the command ends it
			}
			var stderr syncBuffer
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				watch(sigs, done, got, func() { close(cancelled) }, grace, &stderr, func(c int) { exited <- c })
			}()
			if len(tt.signals) > 0 {
				sigs <- tt.signals[0]
				<-cancelled
				if s := <-got; s != tt.signals[0] {
					t.Errorf("got %v, want %v", s, tt.signals[0])
				}
			}
			if len(tt.signals) > 1 {
				sigs <- tt.signals[1]
			}
			if tt.finish {
				close(done)
			}
			<-stopped
			select {
			case code := <-exited:
				if code != tt.wantExit {
					t.Errorf("exit %d, want %d", code, tt.wantExit)
				}
				if !strings.Contains(string(stderr.Bytes()), "exiting now") {
					t.Errorf("stderr %q does not say why", stderr.Bytes())
				}
			default:
				if tt.wantExit != -1 {
					t.Errorf("no exit, want %d", tt.wantExit)
				}
			}
		})
	}
}
