package progress

import (
	"bytes"
	"strings"
	"sync"
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

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		o        Options
		wait     time.Duration
		want     string // the output starts with this
		wantEnd  string // and ends with this
		wantNone bool
		line     string // "-": line() returns "" (else "line")
	}{
		{"plain lines", Options{Every: 10 * time.Millisecond, Prefix: "p: "}, 50 * time.Millisecond, "p: line\n", "line\n", false, ""},
		{"terminal", Options{Terminal: true}, 300 * time.Millisecond, "\r\x1b[Kline", "\r\x1b[K", false, ""},
		{"off", Options{}, 30 * time.Millisecond, "", "", true, ""},
		{"terminal, stopped at once", Options{Terminal: true}, 0, "", "", true, ""},
		{"terminal, empty line", Options{Terminal: true}, 300 * time.Millisecond, "", "", true, "-"},
		{"plain, empty line", Options{Every: 10 * time.Millisecond}, 50 * time.Millisecond, "", "", true, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			tt.o.W = &out
			line := "line"
			if tt.line == "-" {
				line = ""
			}
			stop := Start(tt.o, func() string { return line })
			time.Sleep(tt.wait)
			stop()
			got := out.String()
			if tt.wantNone {
				if got != "" {
					t.Errorf("output %q, want none", got)
				}
				return
			}
			if !strings.HasPrefix(got, tt.want) || !strings.HasSuffix(got, tt.wantEnd) {
				t.Errorf("output %q, want it to start with %q and end with %q", got, tt.want, tt.wantEnd)
			}
		})
	}
}
