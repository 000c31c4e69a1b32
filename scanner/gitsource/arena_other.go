//go:build !linux

package gitsource

// arena is the Linux huge-page buffer mapping (arena_linux.go); elsewhere
// there is none and buffers come from the heap.
type arena struct{}

func newArena(int64) *arena { return nil }

func (a *arena) alloc(int) []byte { return nil }

func (a *arena) release() {}
