package logbuf

import (
	"bytes"
	"errors"
	"fmt"
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

const never = time.Hour // an interval that does not fire during a test

func TestLogBufferFlushes(t *testing.T) {
	t.Parallel()
	line := func(s string) []byte { return []byte(s + "\n") }
	tests := []struct {
		name     string
		size     int
		interval time.Duration
		level    zerolog.Level
		lines    int
		wantOut  bool // written before WriteLevel returns
	}{
		{"info waits", 1 << 10, never, zerolog.InfoLevel, 3, false},
		{"debug waits", 1 << 10, never, zerolog.DebugLevel, 1, false},
		{"no level waits", 1 << 10, never, zerolog.NoLevel, 1, false},
		{"warn flushes", 1 << 10, never, zerolog.WarnLevel, 1, true},
		{"error flushes", 1 << 10, never, zerolog.ErrorLevel, 1, true},
		{"fatal flushes", 1 << 10, never, zerolog.FatalLevel, 1, true},
		{"panic flushes", 1 << 10, never, zerolog.PanicLevel, 1, true},
		{"full buffer flushes", 16, never, zerolog.InfoLevel, 3, true},
		{"oversize line flushes", 4, never, zerolog.InfoLevel, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut logSink
			b := New(&out, &errOut, tt.size, tt.interval)
			var want strings.Builder
			for i := range tt.lines {
				p := line(fmt.Sprintf("line %d", i))
				want.Write(p)
				if n, err := b.WriteLevel(tt.level, p); n != len(p) || err != nil {
					t.Fatalf("WriteLevel = %d, %v", n, err)
				}
			}
			got, _ := out.state()
			if tt.wantOut && got != want.String() {
				t.Errorf("before Close: output %q, want %q", got, want.String())
			}
			if !tt.wantOut && got != "" {
				t.Errorf("before Close: output %q, want nothing yet", got)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if got, _ := out.state(); got != want.String() {
				t.Errorf("after Close: output %q, want %q", got, want.String())
			}
		})
	}
}

func TestLogBufferFlushesOnInterval(t *testing.T) {
	t.Parallel()
	var out, errOut logSink
	b := New(&out, &errOut, 1<<10, 10*time.Millisecond)
	defer b.Close()
	if _, err := b.WriteLevel(zerolog.InfoLevel, []byte("a\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := out.state(); got == "a\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("line not flushed by the interval")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLogBufferBatchesWrites(t *testing.T) {
	t.Parallel()
	var out, errOut logSink
	b := New(&out, &errOut, 1<<10, never)
	for range 100 {
		_, _ = b.Write([]byte("x\n"))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got, writes := out.state(); len(got) != 200 || writes != 1 {
		t.Errorf("%d bytes in %d writes, want 200 in 1", len(got), writes)
	}
}

func TestLogBufferAfterClose(t *testing.T) {
	t.Parallel()
	var out, errOut logSink
	b := New(&out, &errOut, 1<<10, never)
	_, _ = b.Write([]byte("before\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = b.WriteLevel(zerolog.InfoLevel, []byte("after\n"))
	if got, want := func() string { s, _ := out.state(); return s }(), "before\nafter\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestLogBufferReportsWriteErrorOnce(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	out, errOut := &logSink{fail: boom}, &logSink{}
	b := New(out, errOut, 1<<10, never)
	for range 3 {
		if _, err := b.WriteLevel(zerolog.ErrorLevel, []byte("e\n")); err != nil {
			t.Fatalf("WriteLevel: %v", err)
		}
	}
	if err := b.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
	report, _ := errOut.state()
	if got := strings.Count(report, "\n"); got != 1 || !strings.Contains(report, "disk full") {
		t.Errorf("stderr %q, want one report of the failure", report)
	}
	if _, writes := out.state(); writes != 3 {
		t.Errorf("%d write attempts, want 3 (failures do not stop logging)", writes)
	}
}

func TestLogBufferConcurrentWriters(t *testing.T) {
	t.Parallel()
	var out, errOut logSink
	b := New(&out, &errOut, 256, time.Millisecond)
	log := zerolog.New(b)
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				ev := log.Info()
				if i%50 == 0 {
					ev = log.Warn()
				}
				ev.Int("w", w).Int("i", i).Msg("m")
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := out.state()
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") || seen[l] {
			t.Fatalf("torn or repeated line %q", l)
		}
		seen[l] = true
	}
	if len(seen) != writers*lines {
		t.Errorf("%d lines, want %d", len(seen), writers*lines)
	}
}
