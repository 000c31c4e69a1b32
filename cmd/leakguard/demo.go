package main

import (
	"context"
	"fmt"

	"github.com/leakguard/leakguard/internal/demo"
)

// runDemo is `leakguard demo`: package demo's tour of one token's life on
// a throw-away embedded store.
func runDemo(ctx context.Context, args []string, sio IO) error {
	var keep bool
	var logLevel string
	fs := newFlagSet("demo", sio.Stderr)
	fs.BoolVar(&keep, "keep", false, "keep the temporary directory (store and leaked file) afterwards")
	fs.StringVar(&logLevel, "log-level", "warn", "log `level` on stderr")
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	log, err := newLogger(sio.Stderr, logLevel)
	if err != nil {
		return err
	}
	if err := demo.Run(ctx, demo.Options{Out: sio.Stdout, Now: sio.Now, Log: log, Keep: keep}); err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("demo: %w", err)}
	}
	return nil
}
