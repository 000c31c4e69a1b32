//go:build unix

package dirlock

import (
	"errors"
	"os"
	"testing"
)

func TestLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second lock: %v, want a *HeldError", err)
	}
	if got, want := held.PID, os.Getpid(); got != want {
		t.Errorf("holder %d, want %d", got, want)
	}
	release()
	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

func TestLockErrors(t *testing.T) {
	t.Parallel()
	if _, err := Lock(t.TempDir() + "/missing"); err == nil {
		t.Error("lock in a missing directory: no error")
	}
}

func TestHeldError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    HeldError
		want string
	}{
		{HeldError{Dir: "d", PID: 42}, "in use by leakguard process 42"},
		{HeldError{Dir: "d"}, "in use by another leakguard process"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
