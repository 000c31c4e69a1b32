// Package progress shows how a long operation is going on a stream (a
// command's stderr): one line rewritten in place on a terminal, a plain
// line every period otherwise. It knows nothing of the project.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// terminalEvery is how often the line is rewritten on a terminal.
const terminalEvery = 250 * time.Millisecond

// Options say where and how often progress is shown.
type Options struct {
	W io.Writer
	// Terminal rewrites one line in place, every 250 ms, and clears it
	// at the end.
	Terminal bool
	// Every is the period of the plain lines written when W is not a
	// terminal; 0 shows nothing.
	Every time.Duration
	// Prefix starts each plain line.
	Prefix string
}

// Start shows line() on o.W until the returned stop is called; stop waits
// until nothing more is written. An empty line() is not shown (nothing
// worth saying yet).
func Start(o Options, line func() string) (stop func()) {
	every := o.Every
	if o.Terminal {
		every = terminalEvery
	}
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		show(o, every, done, line)
	}()
	return func() { close(done); wg.Wait() }
}

// show writes line() every period until done closes.
func show(o Options, every time.Duration, done <-chan struct{}, line func() string) {
	t := time.NewTicker(every)
	defer t.Stop()
	shown := false
	for {
		select {
		case <-done:
			if shown && o.Terminal {
				fmt.Fprint(o.W, "\r\x1b[K")
			}
			return
		case <-t.C:
			l := line()
			switch {
			case l == "":
				continue
			case o.Terminal:
				fmt.Fprint(o.W, "\r\x1b[K"+l)
			default:
				fmt.Fprintln(o.W, o.Prefix+l)
			}
			shown = true
		}
	}
}
