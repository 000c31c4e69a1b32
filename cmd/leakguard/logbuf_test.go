package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// logSink is a concurrency-safe output that counts writes and can fail.
type logSink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	fail   error
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.fail != nil {
		return 0, s.fail
	}
	return s.buf.Write(p)
}

func (s *logSink) state() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String(), s.writes
}

func TestServeLogOutputBuffersNonTerminals(t *testing.T) {
	t.Parallel()
	var out logSink
	w, closeLog := serveLogOutput(&out, &out)
	if _, ok := w.(zerolog.LevelWriter); !ok {
		t.Fatalf("serveLogOutput(non-terminal) = %T, want a LevelWriter", w)
	}
	log, err := newLogger(w, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("hello")
	if err := closeLog(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.state(); !strings.Contains(got, `"message":"hello"`) {
		t.Errorf("output %q, want the JSON line", got)
	}
}

// TestServeFlushesLogOnShutdown runs `serve` to its graceful stop and finds
// its last line, written after the HTTP server drained, on stderr.
func TestServeFlushesLogOnShutdown(t *testing.T) {
	t.Parallel()
	var stderr logSink
	ctx, cancel := context.WithCancel(context.Background())
	sio := IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		Getenv: func(string) string { return "" }, Now: time.Now}
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0",
			"--db", "sqlite:" + filepath.Join(t.TempDir(), "lg.db")}, sio)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for out, _ := stderr.state(); !strings.Contains(out, "leakguard serving"); out, _ = stderr.state() {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if got := <-code; got != exitOK {
		t.Fatalf("serve exit %d", got)
	}
	if out, _ := stderr.state(); !strings.Contains(out, `"message":"leakguard stopped"`) {
		t.Errorf("stderr lacks the shutdown line:\n%s", out)
	}
}
