package term

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestStdinUsable(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	tests := []struct {
		name string
		in   any
		want bool
	}{
		{"absent", nil, false},
		{"a pipe", r, true},
		{"/dev/null", devnull, false},
		{"a reader", strings.NewReader("x"), true},
	}
	for _, tt := range tests {
		var in interface{ Read([]byte) (int, error) }
		if tt.in != nil {
			in = tt.in.(interface{ Read([]byte) (int, error) })
		}
		if got := StdinUsable(in); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if Is(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
}

func TestLocked(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	l := &Locked{W: &b}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = l.Write([]byte("ab"))
			}
		}()
	}
	wg.Wait()
	if b.Len() != 8*100*2 {
		t.Fatalf("%d bytes, want %d", b.Len(), 1600)
	}
}
