package gitsource

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// group runs goroutines and keeps the first error, cancelling the rest.
type group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelCauseFunc
}

// Go runs fn in a goroutine.
func (g *group) Go(fn func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(); err != nil {
			g.once.Do(func() {
				g.err = err
				g.cancel(err)
			})
		}
	}()
}

// Wait waits for every goroutine and returns the first error.
func (g *group) Wait() error {
	g.wg.Wait()
	return g.err
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
