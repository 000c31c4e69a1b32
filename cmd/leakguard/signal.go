package main

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
	exitInterrupted = 128 + int(syscall.SIGINT)  // 130
	exitTerminated  = 128 + int(syscall.SIGTERM) // 143
)

// signalGrace is how long a command may take to wind down after the first
// SIGINT or SIGTERM before the process exits anyway. Reads of stdin, pipes
// and FIFOs, HTTP calls and git subprocesses all stop on the context; the
// grace covers what cannot (an open(2) of a FIFO named by --config, a
// stuck network filesystem).
const signalGrace = 2 * time.Second

// drainGrace is serve's and worker's grace: SIGTERM is how they are
// stopped, and they drain in-flight requests and jobs first (serve's
// shutdown timeout is 20 s).
const drainGrace = 30 * time.Second

// stopGrace is the grace of the command named name.
func stopGrace(name string) time.Duration {
	switch name {
	case "serve", "worker":
		return drainGrace
	}
	return signalGrace
}

// signalExit is the exit code for a process ended by sig.
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFail
}

// runMain runs the command line args as the process does and returns its
// exit code. The first SIGINT or SIGTERM cancels the command's context; a
// command that then ends with anything but success exits 130 (SIGINT) or
// 143 (SIGTERM), so that scripts can tell an interrupted run from a failed
// one (serve and worker, stopped cleanly, exit 0). A second signal, or the
// grace period running out, ends the process at once with the same code,
// whatever the command is blocked on.
func runMain(args []string, sio IO) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	grace := signalGrace
	if len(args) > 0 {
		grace = stopGrace(args[0])
	}
	got := make(chan os.Signal, 1)
	done := make(chan struct{})
	defer close(done)
	go watchSignals(sigs, done, got, cancel, grace, sio.Stderr, os.Exit)
	code := Run(ctx, args, sio)
	select {
	case sig := <-got:
		if code != exitOK {
			code = signalExit(sig)
		}
	default:
	}
	return code
}

// watchSignals waits for the first signal on sigs, passes it on to got and
// cancels the command; then, unless done closes first, it calls exit when
// a second signal arrives or grace has passed.
func watchSignals(sigs <-chan os.Signal, done <-chan struct{}, got chan<- os.Signal, cancel func(),
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
	exit(signalExit(sig))
}
