package interrupt

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes after SIGINT and SIGTERM: 128 + the signal's number, as a
// shell reports a process the signal killed.
const (
	ExitInterrupted = 128 + int(syscall.SIGINT)  // 130
	ExitTerminated  = 128 + int(syscall.SIGTERM) // 143
)

// exitFail is the exit code for a signal without a number.
const exitFail = 2

// ExitCode is the exit code for a process ended by sig: 128 + its number
// (2, a failure, for a signal without one).
func ExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFail
}

// Run runs command with a context that the first SIGINT or SIGTERM
// cancels, and returns command's exit code; when a signal came and the
// code is not 0, it is ExitCode of the signal instead, so that scripts can
// tell an interrupted run from a failed one. A second signal, or grace
// passing after the first, calls exit (os.Exit in a process) with that
// code at once, whatever command is blocked on; the reason is written to
// stderr.
func Run(grace time.Duration, stderr io.Writer, exit func(int), command func(context.Context) int) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	got := make(chan os.Signal, 1)
	done := make(chan struct{})
	defer close(done)
	go watch(sigs, done, got, cancel, grace, stderr, exit)
	code := command(ctx)
	select {
	case sig := <-got:
		if code != 0 {
			code = ExitCode(sig)
		}
	default:
	}
	return code
}

// watch waits for the first signal on sigs, passes it on to got and
// cancels the command; then, unless done closes first, it calls exit when
// a second signal arrives or grace has passed.
func watch(sigs <-chan os.Signal, done <-chan struct{}, got chan<- os.Signal, cancel func(),
	grace time.Duration, stderr io.Writer, exit func(int)) {
	var sig os.Signal
	select {
	case sig = <-sigs:
	case <-done:
		return
	}
	got <- sig
	cancel()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-sigs:
		fmt.Fprintf(stderr, "leakguard: %v again: exiting now\n", sig)
	case <-t.C:
		fmt.Fprintf(stderr, "leakguard: %v: still busy after %v, exiting now\n", sig, grace)
	}
	exit(ExitCode(sig))
}
